// kubelet_probe decides a probe the way kubelet does, with the libraries kubelet uses:
// Go's net/http for HTTP and HTTPS (pkg/probe/http) and grpc-go's health client for gRPC
// (pkg/probe/grpc). The differential tests run it and podhealth against the same
// upstreams and require the same verdict. It is written from kubelet's documented
// behaviour, not copied: a client with one timeout for the whole exchange, TLS without
// verification, no keep-alive, no proxy, no compression, redirects followed only to the
// same host name and at most 10 times, and at most 10 KiB of the body read. An error reading
// the final body is a probe error, not a failure (pkg/probe/http/http.go returns it as err;
// the prober retries and then discards it), printed "error DETAIL".
//
// Usage:
//
//	kubelet_probe [-timeout DUR] [-H 'Name: value']... [-ca FILE] [-servername NAME] [-h2c]
//		[-repeat N [-every DUR]] http|https URL
//
//	kubelet_probe [-timeout DUR] tcp HOST:PORT
//
//	kubelet_probe [-timeout DUR] [-tls] [-ca FILE] [-servername NAME] grpc HOST:PORT [SERVICE]
//
// -h2c is kubelet 1.37's httpGet with protocol: HTTP2 (KEP-5999): the same probe over HTTP/2
// cleartext with prior knowledge, through golang.org/x/net/http2's Transport with
// AllowHTTP and a plain dial for every connection, as the KEP's design section writes it.
// Its statuses are DoHTTPProbe's, 3xx included: the merged PR 139429 makes the h2c transport
// a field of the HTTP/1.1 prober (httpProber{transport, h2cTransport, ...}), not a prober
// of its own, whatever the KEP's "a 2xx response code is success" says.
//
// It prints "success DETAIL", "warning DETAIL" (kubelet's "probe terminated redirects",
// which counts as success), "failure DETAIL" or "error DETAIL" and exits 0, 0, 1 or 2.
//
// Which Go: Debian 13's Go 1.24.4, grpc-go 1.64.0 and x/net 0.27.0 (tools/deps.sh go),
// the nearest Debian has to kubelet 1.37's (Go 1.26, grpc-go 1.81.1, x/net 0.57.0).
// What changed after them and can change a probe's verdict is restated, here where the
// oracle can (alpnEnforced) and otherwise by the test that asserts podhealth's side:
//
//	change                                   since                  oracle   podhealth  test
//	SHA-1 signatures refused in TLS 1.2      Go 1.25 (tlssha1)      passes   fails      test_tls12_sha1_signature_refused_as_go_1_25
//	TLS 1.3 user_canceled alert ignored      Go 1.25                fails    passes     test_tls13_records_as_go_reads_them
//	excluded subtree covers a wildcard name  Go 1.25.5 (CVE-2025-61727) passes fails    test_name_constraints_as_go_applies_them
//	HTTP/2: any number of 1xx heads          x/net 0.31             fails    passes     test_http2_heads_as_go_reads_them[h2c]
//	gRPC: 1xx heads skipped                  grpc-go 1.76           fails    passes     test_http2_heads_as_go_reads_them[grpc]
//	gRPC over TLS: ALPN h2 required          grpc-go 1.67           restated (alpnEnforced)
//	gRPC: :status unread on a gRPC content-type grpc-go 1.77    fails    passes     test_grpc_status_line_is_not_read_once_the_answer_is_grpc
//	Location host: a second colon refused    Go 1.26 (urlstrictcolons) warns fails  test_location_hosts_as_go_1_26_parses_them
//	Location host: name or IPv4 in brackets  Go 1.24.8 (CVE-2025-47912) warns fails test_location_hosts_as_go_1_26_parses_them
//	Location host: brackets past its start   Go 1.26.1 (CVE-2026-25679) warns fails test_location_hosts_as_go_1_26_parses_them
//	negative pathLenConstraint refused       Go 1.25                passes   fails      test_negative_path_length_refused_as_go_1_25
//	BMPString surrogate in a name refused    Go 1.25                passes   fails      test_certificate_names_as_go_parses_them
//	HTTP/2: SETTINGS values out of range     x/net 0.53 (0.32 for ENABLE_CONNECT_PROTOCOL) passes fails test_http2_cleartext_answers_as_go_reads_them[settings-*]
//	HTTP/2: malformed PRIORITY_UPDATE        x/net 0.50             passes   fails      test_http2_cleartext_answers_as_go_reads_them[priority-update-*]
//	URI subjectAltName host with two colons  Go 1.26 (urlstrictcolons) passes fails     test_uri_subject_alt_names_as_go_parses_them
//	TLS 1.3: bytes after the ServerHello     Go 1.24.12 (CVE-2025-61730) passes fails   test_tls13_key_changes_end_their_records
//
// Go's defaults as of 1.24 (GODEBUG): built in GOPATH mode, with no go.mod, the go command
// would give it Go 1.20's (httplaxcontentlength=1, tlsrsakex=1, x509negativeserial=1,
// rsa1024min=0 ...), which kubelet, a module, does not have.
//
//go:debug default=go1.24

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// The body kubelet reads at most (pkg/probe/http: maxRespBodyLength).
const bodyLimit = 10 * 1024

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

var (
	timeout    = flag.Duration("timeout", time.Second, "the probe's timeout")
	useTLS     = flag.Bool("tls", false, "gRPC over TLS (grpcs://)")
	caFile     = flag.String("ca", "", "verify the server against this PEM bundle")
	serverName = flag.String("servername", "", "the TLS server name")
	h2c        = flag.Bool("h2c", false, "HTTP/2 cleartext with prior knowledge (protocol: HTTP2)")
	repeat     = flag.Int("repeat", 1, "probe this many times, -every apart, through one client as kubelet's prober keeps it (make bench's CPU per probe); the verdict is the last probe's")
	every      = flag.Duration("every", time.Second, "the time between repeated probes")
	cpuReport  = flag.Bool("cpu", false, "with -repeat: print to stderr the process's own CPU per probe after the first (getrusage, every thread, those gone too: make bench)")
	// kubelet 1.38's alpha gate ProbeErrorAsFailure (kubernetes PR 139872): the worker
	// counts an errored probe as a failure instead of throwing the result away.
	probeErrors = flag.String("probe-errors", "keep", "keep: a probe error is \"error\" (thrown away); fail: \"failure\"")
	headers     headerList
)

func tlsConfig() *tls.Config {
	c := &tls.Config{InsecureSkipVerify: true, ServerName: *serverName}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		c.InsecureSkipVerify = false
		c.RootCAs = pool
	}
	return c
}

func result(verdict, detail string) {
	if verdict == "error" && *probeErrors == "fail" {
		verdict = "failure"
	}
	fmt.Println(verdict, strings.ReplaceAll(detail, "\n", " "))
	switch verdict {
	case "failure":
		os.Exit(1)
	case "error":
		os.Exit(2)
	}
	os.Exit(0)
}

// dial connects as Go's dialer does, but resolves only what the tests use: IP literals and
// localhost (loopback, as RFC 6761 and podhealth have it: 127.0.0.1, then ::1). Go's own
// resolver would ask the machine's DNS server for localhost when /etc/hosts does not name
// it (a fresh root has no /etc/hosts), and a test must never send a lookup off the machine.
func dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		c, err := d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		if err == nil {
			return c, nil
		}
		if c6, err6 := d.DialContext(ctx, network, net.JoinHostPort("::1", port)); err6 == nil {
			return c6, nil
		}
		return nil, err
	}
	if net.ParseIP(host) == nil {
		return nil, fmt.Errorf("lookup %s: the oracle resolves only localhost and IP literals", host)
	}
	return d.DialContext(ctx, network, addr)
}

// newRequest is kubelet's probe request (pkg/probe/http/request.go, newProbeRequest): the
// probe's headers; a User-Agent of kubelet's own and Accept */* unless the probe sets
// them, an Accept set empty removed; the request's host from a Host header.
func newRequest(url string) *http.Request {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		result("failure", err.Error())
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header.Set("User-Agent", "kube-probe/oracle")
	}
	if _, ok := req.Header["Accept"]; !ok {
		req.Header.Set("Accept", "*/*")
	} else if req.Header.Get("Accept") == "" {
		req.Header.Del("Accept")
	}
	req.Host = req.Header.Get("Host")
	return req
}

// probeHTTP is pkg/probe/http/http.go: New (the transport: TLS without verification,
// no keep-alive, no proxy, no compression, SetTransportDefaults), RedirectChecker (the
// redirect rule), and DoHTTPProbe (the status rule, the body read).
func probeHTTP(url string) {
	transport := &http.Transport{
		DialContext:        dial,
		TLSClientConfig:    tlsConfig(),
		DisableKeepAlives:  true,
		Proxy:              http.ProxyURL(nil),
		DisableCompression: true,
	}
	// kubelet's transport gets HTTP/2 over TLS (k8s.io/apimachinery SetTransportDefaults).
	if err := http2.ConfigureTransport(transport); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	var rt http.RoundTripper = transport
	if *h2c {
		rt = &http2.Transport{
			AllowHTTP: true,
			DialTLS: func(network, addr string, _ *tls.Config) (net.Conn, error) {
				return dial(context.Background(), network, addr)
			},
			DisableCompression: true,
		}
	}
	client := &http.Client{
		Timeout:   *timeout,
		Transport: rt,
		// RedirectChecker(followNonLocalRedirects=false): another host ends the chain with
		// its response, which DoHTTPProbe turns into a warning; the 11th request fails.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Hostname() != via[0].URL.Hostname() {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			return nil
		},
	}
	var first syscall.Rusage
	for i := 1; i < *repeat; i++ {
		if res, err := client.Do(newRequest(url)); err == nil {
			io.Copy(io.Discard, &io.LimitedReader{R: res.Body, N: bodyLimit})
			res.Body.Close()
		}
		if i == 1 {
			syscall.Getrusage(syscall.RUSAGE_SELF, &first)
		}
		time.Sleep(*every)
	}
	res, err := client.Do(newRequest(url))
	if *cpuReport && *repeat > 1 {
		var last syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &last)
		us := func(r *syscall.Rusage) int64 {
			return r.Utime.Sec*1e6 + r.Utime.Usec + r.Stime.Sec*1e6 + r.Stime.Usec
		}
		fmt.Fprintf(os.Stderr, "cpu per probe: %d us\n", (us(&last)-us(&first))/int64(*repeat-1))
	}
	if err != nil {
		result("failure", err.Error())
	}
	defer res.Body.Close()
	// DoHTTPProbe: client.Do's error is a failure; the body is read to maxRespBodyLength
	// (ioutils.ReadAtMost; reaching the limit is no error), and another error reading it is
	// returned as the probe's error, which the prober retries and then throws away.
	lr := &io.LimitedReader{R: res.Body, N: bodyLimit}
	body, err := io.ReadAll(lr)
	if err != nil {
		result("error", "reading the body: "+err.Error())
	}
	// DoHTTPProbe: 200 <= status < 400 succeeds; a 3xx left (a redirect not followed)
	// succeeds with the warning "Probe terminated redirects".
	if res.StatusCode >= 200 && res.StatusCode < 400 {
		if res.StatusCode >= 300 {
			result("warning", fmt.Sprintf("HTTP %d, redirect not followed", res.StatusCode))
		}
		result("success", fmt.Sprintf("HTTP %d, %d body bytes", res.StatusCode, len(body)))
	}
	result("failure", fmt.Sprintf("HTTP probe failed with statuscode: %d", res.StatusCode))
}

// alpnEnforced is grpc-go's TLS credentials as kubelet 1.37 vendors them: since grpc-go
// 1.67 (grpc-go PR 7535, GRPC_ENFORCE_ALPN_ENABLED on by default) a client handshake in
// which the server selected no ALPN protocol fails. Debian's grpc-go (1.64) predates the
// rule; this wrapper restates it.
type alpnEnforced struct {
	credentials.TransportCredentials
}

func (c alpnEnforced) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := c.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if err == nil {
		if ti, ok := info.(credentials.TLSInfo); ok && ti.State.NegotiatedProtocol == "" {
			conn.Close()
			return nil, nil, errors.New("credentials: cannot check peer: missing selected ALPN property")
		}
	}
	return conn, info, err
}

func (c alpnEnforced) Clone() credentials.TransportCredentials {
	return alpnEnforced{c.TransportCredentials.Clone()}
}

// probeTCP is pkg/probe/tcp's DoTCPProbe: a connection that opens within the timeout is a
// success (it is closed at once, nothing is read or written); any error is a failure.
func probeTCP(addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		result("failure", err.Error())
	}
	conn.Close()
	result("success", "connected")
}

// probeGRPC is pkg/probe/grpc/grpc.go's Probe: a blocking dial and the Health/Check call
// under one deadline; any error, and any status but SERVING, is a failure (its err is
// always nil: a gRPC probe never errors). mode: TLS (KEP-4939) dials with grpc-go's TLS
// credentials and InsecureSkipVerify.
func probeGRPC(addr, service string) {
	creds := grpc.WithInsecure()
	if *useTLS {
		creds = grpc.WithTransportCredentials(alpnEnforced{credentials.NewTLS(tlsConfig())})
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.DialContext(ctx, addr, creds, grpc.WithBlock(), grpc.WithUserAgent("kube-probe/oracle"),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) { return dial(ctx, "tcp", a) }))
	if err != nil {
		result("failure", "failed to connect: "+err.Error())
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		switch status.Code(err) {
		case codes.Unimplemented:
			result("failure", "no health service: "+err.Error())
		case codes.DeadlineExceeded:
			result("failure", "timeout: "+err.Error())
		}
		result("failure", "health rpc failed: "+err.Error())
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		result("failure", "service unhealthy: "+resp.GetStatus().String())
	}
	result("success", "SERVING")
}

func main() {
	flag.Var(&headers, "H", "a request header, repeatable")
	flag.Parse()
	args := flag.Args()
	switch {
	case len(args) == 2 && (args[0] == "http" || args[0] == "https"):
		probeHTTP(args[1])
	case len(args) == 2 && args[0] == "tcp":
		probeTCP(args[1])
	case len(args) >= 2 && args[0] == "grpc":
		service := ""
		if len(args) > 2 {
			service = args[2]
		}
		probeGRPC(args[1], service)
	}
	fmt.Fprintln(os.Stderr, "usage: kubelet_probe [flags] http|https URL | tcp HOST:PORT | grpc HOST:PORT [SERVICE]")
	os.Exit(2)
}
