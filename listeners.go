package main

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/frontdesk-bot/frontdesk/internal/listener"
)

// The limits of the two listeners; SECURITY.md ("What each listener
// bounds") says the same numbers.
const (
	// maxConnections caps the public listener's open connections. At the
	// cap the connection that has waited longest without a request (idle
	// between requests, or silent since it connected) is closed for the
	// new one, so idle connections never lock the webhook out; with every
	// connection serving a request, a new one waits for the first to end.
	maxConnections = 4096
	// maxAdminConnections caps the operations listener's: probes, scrapes
	// and a browser need a few.
	maxAdminConnections = 64
	// idleTimeout closes a keep-alive connection that sent no request for
	// this long; a connection waiting for a request holds no slot that a
	// new one needs in any case.
	idleTimeout = 30 * time.Second
)

// newHTTPServer serves h on ln, its open connections capped at max, with
// the timeouts and limits both listeners keep: a client sends its headers
// (at most 64 KiB) within 5 s and its body within 10 s. It returns the
// server and the listener to Serve.
func newHTTPServer(h http.Handler, ln net.Listener, max int, log *slog.Logger) (*http.Server, net.Listener) {
	capped := listener.New(ln, max)
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ConnState:         capped.ConnState,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}, capped
}
