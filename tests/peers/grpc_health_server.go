// grpc_health_server is a test peer: grpc-go's standard health service
// (google.golang.org/grpc/health), as the gRPC servers podhealth checks run it.
//
// usage: grpc_health_server [-tls CERT,KEY] [-no-health] [-unix PATH] [-metadata]
//
// It listens on 127.0.0.1 (a free port, printed on stdout), or on the unix socket PATH
// (printing 0), with these services:
// "" and "app" SERVING, "down" NOT_SERVING, "slow" SERVING after a 10 s delay; any other
// name is unknown (NOT_FOUND). With -no-health the health service is not registered
// (UNIMPLEMENTED). With -metadata it prints, for each call, a line of the metadata it
// received (":authority" included, as grpc-go hands it to servers): "metadata k=v k=v",
// sorted. It runs until its standard input closes.
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
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

func main() {
	tlsFiles := flag.String("tls", "", "CERT,KEY: serve over TLS")
	noHealth := flag.Bool("no-health", false, "do not register the health service")
	unixPath := flag.String("unix", "", "listen on this unix socket instead")
	printMetadata := flag.Bool("metadata", false, "print each call's metadata")
	flag.Parse()

	var opts []grpc.ServerOption
	if *tlsFiles != "" {
		files := strings.SplitN(*tlsFiles, ",", 2)
		cert, err := tls.LoadX509KeyPair(files[0], files[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		opts = append(opts, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	}
	// The "slow" service answers after 10 s, longer than any test's timeout, and ignores
	// the deadline the client sends (grpc-timeout): had it honoured it, its own
	// DEADLINE_EXCEEDED answer would race the client's timer.
	opts = append(opts, grpc.UnaryInterceptor(func(ctx context.Context, req interface{},
		info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (interface{}, error) {
		if r, ok := req.(*healthpb.HealthCheckRequest); ok && r.Service == "slow" {
			time.Sleep(10 * time.Second)
		}
		if md, _ := metadata.FromIncomingContext(ctx); *printMetadata {
			var kv []string
			for k, v := range md {
				kv = append(kv, k+"="+strings.Join(v, ","))
			}
			sort.Strings(kv)
			fmt.Println("metadata " + strings.Join(kv, " "))
		}
		return handler(ctx, req)
	}))
	s := grpc.NewServer(opts...)
	if !*noHealth {
		h := health.NewServer()
		h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
		h.SetServingStatus("app", healthpb.HealthCheckResponse_SERVING)
		h.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
		h.SetServingStatus("slow", healthpb.HealthCheckResponse_SERVING)
		healthpb.RegisterHealthServer(s, h)
	}
	network, addr := "tcp", "127.0.0.1:0"
	if *unixPath != "" {
		network, addr = "unix", *unixPath
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if tcp, ok := l.Addr().(*net.TCPAddr); ok {
		fmt.Println(tcp.Port)
	} else {
		fmt.Println(0)
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	s.Serve(l)
}
