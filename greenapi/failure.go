package greenapi

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// Kind is what a failed call means for whoever made it: whether to try the
// same call again, and whether the whole instance is affected or only the
// chat the call named. KindOf is the one place that decides it; the bot's
// retry, pause and degrade decisions read the kind, never a status.
type Kind string

// The kinds of failure, as KindOf assigns them.
const (
	// RetryLater: the same call may succeed later (429, 5xx, a timeout,
	// a connection broken mid-answer). Back off and try again.
	RetryLater Kind = "retry_later"
	// RetryNever: the same call will fail again until someone acts outside
	// Frontdesk (466: the monthly quota is spent).
	RetryNever Kind = "retry_never"
	// InstanceDown: every call fails until the instance or Green API is
	// back (401 wrong token, 403 wrong instance, 400 "not authorized": the
	// phone logged out, or no connection to Green API at all).
	InstanceDown Kind = "instance_down"
	// ContactRefused: Green API refused this request for the chat it named
	// (400 or 404); other chats are unaffected; retrying will not help.
	ContactRefused Kind = "contact"
	// OurBug: Green API answered 200 with a body that does not fit its
	// documented contract, or Frontdesk built a request it must not send
	// (a message over MaxMessageLength). Retrying will not help.
	OurBug Kind = "bug"
)

// KindOf classifies err, an error returned by a Client method; nil for nil.
// A cancelled context (Frontdesk's own shutdown) is RetryLater: the call
// may be made again by the next process.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.Status == http.StatusTooManyRequests || apiErr.Status >= 500:
			return RetryLater
		case apiErr.Status == StatusQuotaExceeded:
			return RetryNever
		case apiErr.Status == http.StatusUnauthorized || apiErr.Status == http.StatusForbidden,
			errors.Is(apiErr, ErrNotAuthorized):
			return InstanceDown
		case apiErr.Status == http.StatusBadRequest || apiErr.Status == http.StatusNotFound:
			return ContactRefused
		}
		return OurBug // a status Green API does not document
	}
	switch {
	case errors.Is(err, ErrMessageTooLong), errors.Is(err, ErrUnreadableAnswer):
		return OurBug
	case unreachable(err):
		return InstanceDown
	}
	return RetryLater
}

// ReasonOf is a short label for err, for logs and metric labels:
// rate_limited, server_error, timeout, connection_lost, unreachable,
// unauthorized, forbidden, not_authorized, quota_exceeded, rejected,
// unreadable_answer, too_long or error. "" for nil.
func ReasonOf(err error) string {
	var apiErr *APIError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, ErrQuotaExceeded):
		return "quota_exceeded"
	case errors.Is(err, ErrNotAuthorized):
		return "not_authorized"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrServer):
		return "server_error"
	case errors.As(err, &apiErr):
		return "rejected"
	case errors.Is(err, ErrUnreadableAnswer):
		return "unreadable_answer"
	case errors.Is(err, ErrMessageTooLong):
		return "too_long"
	case unreachable(err):
		return "unreachable"
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "connection_lost"
}

// MaybeDone reports whether a call that failed with err may still have
// taken effect at Green API (a message sent): true after a 5xx, a timeout,
// a connection lost mid-call or an unreadable 200; false when Green API
// answered with a 4xx or 466, or no request left at all.
func MaybeDone(err error) bool {
	var apiErr *APIError
	switch {
	case err == nil:
		return true
	case errors.As(err, &apiErr):
		return apiErr.Status >= 500
	case errors.Is(err, ErrNoSlot), errors.Is(err, ErrMessageTooLong), unreachable(err):
		return false
	}
	return true
}

// unreachable reports whether err says no connection to Green API could be
// opened at all: a refused connection, a name that does not resolve.
func unreachable(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
