package handlers

import (
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/gin-gonic/gin"
)

// webhook answers Green API's notifications: 401 for a token that opens
// no instance's webhook, or another instance's than the one the path or
// the body names (before the body is stored, and without saying which),
// 413 for a body over MaxBodyBytes, 500 when the body could not be stored
// (Green API will send it again), 200 otherwise, once the notification is
// stored durably, or kept aside, or ignored. It serves /webhook and
// /webhook/{idInstance}.
func webhook(inbox Acceptor, instances *Instances, m *Metrics, log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		inst := instances.byToken(bearer(c.GetHeader("Authorization")))
		if inst == nil || (c.Param("instance") != "" && c.Param("instance") != inst.ID) {
			m.Rejected("unauthorized")
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		if c.Request.ContentLength > MaxBodyBytes {
			m.Rejected("too_large")
			c.AbortWithStatus(http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				m.Rejected("too_large")
				c.AbortWithStatus(http.StatusRequestEntityTooLarge)
				return
			}
			m.Rejected("read_error")
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		outcome, err := inbox.Accept(c.Request.Context(), inst.ID, body)
		if errors.Is(err, queue.ErrOtherInstance) {
			m.Rejected("unauthorized")
			log.Warn("a webhook body names another instance than the token's; refused", "instance", inst.ID, "err", err)
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		if err != nil {
			m.Rejected("store_error")
			log.Error("could not store a notification; Green API will resend it", "instance", inst.ID, "err", err)
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusOK, gin.H{"outcome": outcome})
	}
}

// bearer returns the token of "Bearer <token>" (or "Basic <token>", which
// Green API's own servers also send), or "".
func bearer(header string) string {
	scheme, given, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Basic")) {
		return ""
	}
	return strings.TrimSpace(given)
}

// authorized checks "Bearer <token>" (or "Basic <token>", which Green API's
// own servers also send) against each of tokens, in constant time.
func authorized(header string, tokens []string) bool {
	scheme, given, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Basic")) {
		return false
	}
	given = strings.TrimSpace(given)
	match := 0
	for _, token := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(given), []byte(token))
	}
	return match == 1
}
