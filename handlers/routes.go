// Package handlers is Frontdesk's HTTP side (gin): the webhook Green API
// posts to, the probes and the metrics. Every route is listed in Routes.
package handlers

import (
	"context"
	"log/slog"
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

// Routes returns the service's router with every route.
func Routes(d Deps) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery(), accessLog(d.Log))
	if d.WebhookToken != "" {
		r.POST("/webhook", webhook(d.Inbox, d.WebhookToken, d.Metrics, d.Log))
	}
	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(d.Store, d.Instance))
	r.GET("/metrics", gin.WrapH(d.Metrics.Handler()))
	return r
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
