// Validates Kubernetes objects against the API's JSON schema (npm kubernetes-models, whose
// objects carry validate() from the upstream OpenAPI): argv[2] is a JSON list of
// {"file", "doc"}; prints "ok FILE KIND" or "INVALID FILE KIND: why" a line each and exits
// 1 when any is invalid. Unknown fields pass, as the schema does not close its objects.
import { readFileSync } from "node:fs";

const docs = JSON.parse(readFileSync(process.argv[2], "utf8"));
let bad = 0;
for (const { file, doc } of docs) {
  const models = await import("kubernetes-models/" + doc.apiVersion);
  try {
    new models[doc.kind](doc).validate();
    console.log("ok", file, doc.kind);
  } catch (e) {
    bad++;
    console.log("INVALID", file, doc.kind + ":", String(e.message).split("\n")[0]);
  }
}
process.exit(bad ? 1 : 0);
