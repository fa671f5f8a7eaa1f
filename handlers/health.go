package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Instance is what Frontdesk last learnt of its Green API instance's state,
// from getStateInstance or a stateInstanceChanged notification.
type Instance struct {
	mu      sync.Mutex
	state   string
	err     error
	checked time.Time
	paused  error     // why calls to Green API are paused; nil: they flow
	joining time.Time // not ready before: the other replicas learn of this one
}

// Set records a state, or the error that prevented reading it.
func (i *Instance) Set(state string, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.state, i.err, i.checked = state, err, time.Now()
}

// SetPaused records that calls to Green API are paused and why (nil: they
// resume); the guard tells it.
func (i *Instance) SetPaused(err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.paused = err
}

// JoinUntil keeps the replica out of the load balancer's rotation until t,
// the time the other replicas need to learn of it.
func (i *Instance) JoinUntil(t time.Time) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.joining = t
}

func (i *Instance) joiningUntil() time.Time {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.joining
}

// Paused returns why calls to Green API are paused, or nil.
func (i *Instance) Paused() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.paused
}

// Get returns the last state, when it was learnt, and the error that
// prevented reading it.
func (i *Instance) Get() (string, time.Time, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.state, i.checked, i.err
}

func healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyz is 200 when the store answers, the instance is authorized and
// calls to Green API are not paused, and 503 otherwise, with what is wrong
// in the body.
func readyz(store interface{ Ping(context.Context) error }, inst *Instance) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		body := gin.H{"store": "ok"}
		ready := true
		if err := store.Ping(ctx); err != nil {
			body["store"] = err.Error()
			ready = false
		}
		state, checked, err := inst.Get()
		body["instance"] = state
		if !checked.IsZero() {
			body["instance_checked_at"] = checked.UTC().Format(time.RFC3339)
		}
		switch {
		case err != nil:
			body["instance_error"] = err.Error()
			ready = false
		case state != "authorized":
			ready = false
		}
		if until := inst.joiningUntil(); time.Now().Before(until) {
			body["replica"] = "joining: the other replicas learn of this one until " + until.UTC().Format(time.RFC3339)
			ready = false
		}
		if paused := inst.Paused(); paused != nil {
			body["greenapi_calls"] = "paused: " + paused.Error()
			ready = false
		}
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		c.JSON(status, body)
	}
}
