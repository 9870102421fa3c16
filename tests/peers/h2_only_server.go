// h2_only_server is a test peer: an HTTPS server, on Go's net/http, configured for HTTP/2
// only (ALPN h2), with these paths: "/" 200 "ok", /down 503, /redirect a 302 to /, /away
// a 302 to another host, /loop a 302 to itself, /to-https a 302 to https:// on the same
// host and port, /ready 200 "status: ready", /big 200 with "needle" after 20000 bytes,
// /cut 200 "ok" and then the stream reset.
//
// usage: h2_only_server CERT KEY [mlkem|strict]
//
// net/http lets a client that offers ALPN http/1.1 alone in and speaks HTTP/1.1 to it
// (crypto/tls's fallback, Go issue 46310). With strict, each connection is served by
// x/net's http2.Server.ServeConn alone, as a server without HTTP/1.1 is (Envoy's HTTP/2
// listeners, Kestrel's Http2-only endpoints): a client that does not select h2 gets no
// answer. With mlkem, its TLS 1.3 takes the post-quantum hybrid X25519MLKEM768 group alone.
//
//	h2_only_server -h2c
//
// With -h2c it speaks HTTP/2 cleartext with prior knowledge (golang.org/x/net/http2/h2c),
// as an application behind kubelet's protocol: HTTP2 probe does, with the same paths.
//
// It listens on 127.0.0.1 (a free port, printed on stdout) and runs until its standard
// input closes.
//
// Go's defaults as of 1.24 (GODEBUG): built in GOPATH mode, with no go.mod, the go command
// would give it Go 1.20's (httplaxcontentlength=1, tlsrsakex=1, x509negativeserial=1,
// rsa1024min=0 ...), which kubelet, a module, does not have.
//
//go:debug default=go1.24

package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

func paths() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			io.WriteString(w, "ok")
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/redirect":
			http.Redirect(w, r, "/", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "http://elsewhere.example/", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/to-https":
			http.Redirect(w, r, "https://"+r.Host+"/", http.StatusFound)
		case "/ready":
			io.WriteString(w, "status: ready")
		case "/big":
			io.WriteString(w, strings.Repeat("x", 20000)+"needle")
		case "/cut":
			io.WriteString(w, "ok")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the stream is reset (RST_STREAM) mid-body
		default:
			http.NotFound(w, r)
		}
	})
	return mux
}

func cleartext(ln net.Listener) {
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	go http.Serve(ln, h2c.NewHandler(paths(), &http2.Server{}))
	io.Copy(io.Discard, os.Stdin)
}

// strict serves each TLS connection with HTTP/2 alone.
func strict(ln net.Listener) {
	h2, opts := &http2.Server{}, &http2.ServeConnOpts{Handler: paths()}
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			// http2.Server reads the handshake's outcome (its version) before the preface.
			if conn.(*tls.Conn).Handshake() != nil {
				conn.Close()
				return
			}
			h2.ServeConn(conn, opts)
		}()
	}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-h2c" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cleartext(ln)
		return
	}
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
		Handler: paths(),
		// Only h2: a client that offers ALPN without it is refused in the handshake
		// (no_application_protocol), as crypto/tls does since Go 1.17.
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}},
	}
	if len(os.Args) == 4 && os.Args[3] == "mlkem" {
		srv.TLSConfig.MinVersion = tls.VersionTLS13
		srv.TLSConfig.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768}
	}
	if err := http2.ConfigureServer(srv, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv.TLSConfig.NextProtos = []string{"h2"}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	if len(os.Args) == 4 && os.Args[3] == "strict" {
		go strict(tls.NewListener(ln, srv.TLSConfig))
	} else {
		go srv.Serve(tls.NewListener(ln, srv.TLSConfig))
	}
	io.Copy(io.Discard, os.Stdin)
}
