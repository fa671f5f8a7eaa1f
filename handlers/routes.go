// Package handlers is Frontdesk's HTTP side (gin): the webhook Green API
// posts to on the public listener (Public), the probes and the metrics on
// the operations listener (Admin). Every route is listed in those two.
package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/gin-gonic/gin"
)

// MaxBodyBytes is the largest webhook body accepted; Green API's bodies are
// a few kilobytes.
const MaxBodyBytes = 1 << 20

// Acceptor stores a notification body that reached the webhook of an
// instance; *queue.Inbox is one.
type Acceptor interface {
	Accept(ctx context.Context, instance string, body []byte) (queue.Outcome, error)
}

// Deps are what the routes need.
type Deps struct {
	Inbox Acceptor
	// Instances are the instances served, with the tokens their webhooks
	// accept.
	Instances *Instances
	// Replica is this process among the replicas; nil when alone.
	Replica *Replica
	// MetricsToken, if set, is required as "Authorization: Bearer <it>"
	// on /metrics.
	MetricsToken string
	// AdminToken, if set, opens the status page at / of the operations
	// listener; without it / serves nothing.
	AdminToken string
	// SecureCookie marks the status page's session cookie Secure on every
	// request, not only those that came over TLS.
	SecureCookie bool
	// Recent, Depth and History feed the status page.
	Recent  bot.Recent
	Depth   func() int
	History *History
	Store   interface{ Ping(context.Context) error }
	Metrics *Metrics
	Log     *slog.Logger
}

// MaxInFlight bounds the requests the public listener serves at once;
// past it a request is answered 503 at once (Green API sends a webhook
// again later). At the measured 7,000 acknowledgements a second about 60
// are in flight.
const MaxInFlight = 1024

// gin's debug mode prints every route and warnings on stdout; the service
// logs through slog only.
func init() { gin.SetMode(gin.ReleaseMode) }

// Public returns the router of the listener that faces the internet
// (PORT): the webhook, at /webhook and /webhook/{idInstance}, and a bare
// /healthz, nothing else. An unknown path
// gets a plain 404 that names no software.
func Public(d Deps) *gin.Engine {
	r := gin.New()
	r.Use(recovery(d.Log), accessLog(d.Log), limitInFlight(MaxInFlight, d.Metrics))
	hook := webhook(d.Inbox, d.Instances, d.Metrics, d.Log)
	r.POST("/webhook", hook)
	r.POST("/webhook/:instance", hook)
	r.GET("/healthz", healthz)
	return r
}

// Admin returns the router of the operations listener (ADMIN_ADDR), for
// the orchestrator and the monitoring only: /healthz, /readyz and
// /metrics, and with ADMIN_TOKEN the status page at /.
func Admin(d Deps) *gin.Engine {
	r := gin.New()
	r.Use(recovery(d.Log), accessLog(d.Log), limitBody(MaxAdminBodyBytes))
	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(d.Store, d.Instances, d.Replica))
	if d.AdminToken != "" {
		st := &status{token: d.AdminToken, instances: d.Instances, recent: d.Recent, depth: d.Depth, history: d.History,
			secureCookie: d.SecureCookie, signIns: newSignIns(), sessions: make(map[string]time.Time)}
		st.routes(r)
	}
	metrics := gin.WrapH(d.Metrics.Handler())
	if d.MetricsToken != "" {
		r.GET("/metrics", requireToken(d.MetricsToken), metrics)
	} else {
		r.GET("/metrics", metrics)
	}
	return r
}

// MaxAdminBodyBytes is the largest body the operations listener reads:
// its one form, the sign-in, holds a token.
const MaxAdminBodyBytes = 16 << 10

// limitBody answers 413 to a request whose declared body is over max, and
// cuts one that turns out longer where it is read.
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			c.AbortWithStatus(http.StatusRequestEntityTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
	}
}

// limitInFlight answers 503 to a request past max served at once.
func limitInFlight(max int, m *Metrics) gin.HandlerFunc {
	slots := make(chan struct{}, max)
	return func(c *gin.Context) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			c.Next()
		default:
			m.Rejected("busy")
			c.AbortWithStatus(http.StatusServiceUnavailable)
		}
	}
}

// requireToken refuses a request without "Authorization: Bearer <token>".
func requireToken(token string) gin.HandlerFunc {
	tokens := []string{token}
	return func(c *gin.Context) {
		if !authorized(c.GetHeader("Authorization"), tokens) {
			c.AbortWithStatus(http.StatusUnauthorized)
		}
	}
}

// recovery answers 500 to a request whose handler panicked and logs the
// panic through slog (JSON, secrets masked) instead of gin's plain-text
// dump on stderr. A webhook that panicked is not acknowledged, so Green API
// sends it again.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, err any) {
		log.Error("panic while serving a request", "method", c.Request.Method, "path", c.FullPath(),
			"panic", fmt.Sprint(err), "stack", string(debug.Stack()))
		c.AbortWithStatus(http.StatusInternalServerError)
	})
}

// accessLog writes one line per request at debug level. Paths carry no
// secrets: the webhook token travels in a header.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		log.Debug("http", "method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"bytes", c.Writer.Size(), "duration", time.Since(start))
	}
}
