package greenapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// StatusQuotaExceeded is the HTTP status Green API answers when the
// instance's monthly quota is spent. Retrying does not help.
const StatusQuotaExceeded = 466

// Sentinel errors that errors.Is matches against an *APIError by status.
var (
	// ErrBadRequest is a 400: validation failed, or the instance's account
	// is not authorized (see APIError.Message).
	ErrBadRequest = errors.New("bad request")
	// ErrNotAuthorized is a 400 saying the instance's WhatsApp account is
	// not authorized (the phone was logged out): it also matches
	// ErrBadRequest, but unlike a validation failure it passes once the
	// account is linked again.
	ErrNotAuthorized = errors.New("instance account not authorized")
	// ErrUnauthorized is a 401: the apiTokenInstance is wrong.
	ErrUnauthorized = errors.New("unauthorized: check the apiTokenInstance")
	// ErrForbidden is a 403: the idInstance is wrong.
	ErrForbidden = errors.New("forbidden: check the idInstance")
	// ErrRateLimited is a 429: the per-instance rate limit was exceeded.
	ErrRateLimited = errors.New("rate limited")
	// ErrQuotaExceeded is a 466: the monthly quota is spent. Do not retry.
	ErrQuotaExceeded = errors.New("monthly quota exceeded")
	// ErrServer is a 5xx: Green API failed; retrying later may succeed.
	ErrServer = errors.New("server error")
	// ErrMessageTooLong is returned, without calling Green API, for a
	// message over MaxMessageLength characters, or a poll or buttons over
	// their documented limits (MaxPollOptions, MaxButtonTextLength, …).
	ErrMessageTooLong = errors.New("message too long")
	// ErrNoSlot is returned, without calling Green API, when the method's
	// rate limit has no free slot before the caller's deadline. It also
	// matches context.DeadlineExceeded.
	ErrNoSlot = errors.New("no rate-limit slot before the deadline")
	// ErrUnreadableAnswer is a 200 whose body is not what the method's
	// documentation says it returns (not JSON, empty, or of another shape).
	ErrUnreadableAnswer = errors.New("unreadable answer")
)

// APIError is an answer from Green API with a status other than 200.
type APIError struct {
	Method string
	Status int
	// Message is Green API's own explanation, when it gave one.
	Message string
	// Quota is the parsed body of a 466 answer.
	Quota *QuotaBody
}

// Error implements error; it never contains the token.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "greenapi: %s: HTTP %d", e.Method, e.Status)
	if s := e.sentinel(); s != nil {
		b.WriteString(" ")
		b.WriteString(s.Error())
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap lets errors.Is match the sentinel of e's status, and
// ErrNotAuthorized for the 400 that says so.
func (e *APIError) Unwrap() []error {
	var errs []error
	if s := e.sentinel(); s != nil {
		errs = append(errs, s)
	}
	if e.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "not authorized") {
		errs = append(errs, ErrNotAuthorized)
	}
	return errs
}

func (e *APIError) sentinel() error {
	switch {
	case e.Status == http.StatusBadRequest:
		return ErrBadRequest
	case e.Status == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.Status == http.StatusForbidden:
		return ErrForbidden
	case e.Status == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.Status == StatusQuotaExceeded:
		return ErrQuotaExceeded
	case e.Status >= 500:
		return ErrServer
	}
	return nil
}

// QuotaBody is the body of a 466 answer.
type QuotaBody struct {
	InvokeStatus         *Quota `json:"invokeStatus,omitempty"`
	CorrespondentsStatus *Quota `json:"correspondentsStatus,omitempty"`
}

// Quota describes one of the instance's monthly quotas.
type Quota struct {
	Method      string `json:"method"`
	Used        int    `json:"used"`
	Total       int    `json:"total"`
	Status      string `json:"status"`
	Description string `json:"description,omitempty"`
}

// Exceeded reports whether the quota is spent. Green API spells the status
// both QUOTE_EXCEEDED and QUOTA_EXCEEDED.
func (q *Quota) Exceeded() bool { return q != nil && strings.HasSuffix(q.Status, "EXCEEDED") }

// Description returns the explanation of whichever quota is exceeded.
func (b *QuotaBody) Description() string {
	for _, q := range []*Quota{b.InvokeStatus, b.CorrespondentsStatus} {
		if q.Exceeded() {
			if q.Description != "" {
				return q.Description
			}
			return q.Status
		}
	}
	return ""
}
