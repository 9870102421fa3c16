/* Every HTTP status podhealth answers, in one table: its name, number, reason phrase and
 * default body (lwan's X(OK, 200, "OK", ...)). Code names statuses by enum http_status. */
#ifndef PODHEALTH_STATUS_H
#define PODHEALTH_STATUS_H

#define HTTP_STATUSES(X)                                                                           \
	X(OK, 200, "OK", "ok\n")                                                                   \
	X(BAD_REQUEST, 400, "Bad Request", "bad request\n")                                        \
	X(NOT_FOUND, 404, "Not Found", "not found\n")                                              \
	X(METHOD_NOT_ALLOWED, 405, "Method Not Allowed", "method not allowed\n")                   \
	X(REQUEST_TIMEOUT, 408, "Request Timeout", "request timeout\n")                            \
	X(URI_TOO_LONG, 414, "URI Too Long", "URI too long\n")                                     \
	X(HEADERS_TOO_LARGE, 431, "Request Header Fields Too Large", "request header too large\n") \
	X(INTERNAL_SERVER_ERROR, 500, "Internal Server Error", "internal server error\n")          \
	X(SERVICE_UNAVAILABLE, 503, "Service Unavailable", "unhealthy\n")

enum http_status {
#define HTTP_STATUS_ENUM(name, code, phrase, body) HTTP_##name = code,
	HTTP_STATUSES(HTTP_STATUS_ENUM)
#undef HTTP_STATUS_ENUM
};

#endif
