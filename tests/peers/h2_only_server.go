// h2_only_server is a test peer: an HTTPS server, on Go's net/http, that speaks HTTP/2
// only (ALPN h2, no http/1.1), answering 200 "ok" to every request.
//
// usage: h2_only_server CERT KEY
//
// It listens on 127.0.0.1 (a free port, printed on stdout) and runs until its standard
// input closes.
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	"golang.org/x/net/http2"
)

func main() {
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok")
		}),
		// Only h2: a client that offers ALPN without it is refused in the handshake
		// (no_application_protocol), as crypto/tls does since Go 1.17.
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}},
	}
	if err := http2.ConfigureServer(srv, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv.TLSConfig.NextProtos = []string{"h2"}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	go srv.Serve(tls.NewListener(ln, srv.TLSConfig))
	io.Copy(io.Discard, os.Stdin)
}
