// Package handlers is Frontdesk's HTTP side (gin): the webhook Green API
// posts to, the probes and the metrics. Every route is listed in Routes.
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
	"github.com/gin-gonic/gin"
)

// MaxBodyBytes is the largest webhook body accepted; Green API's bodies are
// a few kilobytes.
const MaxBodyBytes = 1 << 20

// Acceptor stores a notification body; *bot.Inbox is one.
type Acceptor interface {
	Accept(ctx context.Context, body []byte) (bot.Outcome, error)
}

// Deps are what the routes need.
type Deps struct {
	Inbox        Acceptor
	WebhookToken string // empty: no webhook route (poll mode)
	Store        interface{ Ping(context.Context) error }
	Instance     *Instance
	Metrics      *Metrics
	Log          *slog.Logger
}

// gin's debug mode prints every route and warnings on stdout; the service
// logs through slog only.
func init() { gin.SetMode(gin.ReleaseMode) }

// Routes returns the service's router with every route.
func Routes(d Deps) *gin.Engine {
	r := gin.New()
	r.Use(recovery(d.Log), accessLog(d.Log))
	if d.WebhookToken != "" {
		r.POST("/webhook", webhook(d.Inbox, d.WebhookToken, d.Metrics, d.Log))
	}
	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(d.Store, d.Instance))
	r.GET("/metrics", gin.WrapH(d.Metrics.Handler()))
	return r
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
