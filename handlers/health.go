package handlers

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// Instance is what Frontdesk last learnt of one Green API instance's state,
// from getStateInstance or a stateInstanceChanged notification, and what
// it counts of it. It outlives reloads that keep the instance.
type Instance struct {
	ID string // idInstance

	mu      sync.Mutex
	state   string
	err     error
	checked time.Time
	paused  error // why calls to Green API are paused; nil: they flow

	stored        atomic.Uint64 // notifications stored
	firstContacts atomic.Uint64
	quotaSpent    atomic.Int64 // Unix ms of the last sign that the monthly quota is spent; 0 none
}

// QuotaSpent records that Green API said the instance's monthly quota is
// spent (a quotaExceeded notification, or a 466).
func (i *Instance) QuotaSpent(at time.Time) { i.quotaSpent.Store(at.UnixMilli()) }

// quotaSpentAt returns when the quota was last seen spent, or zero.
func (i *Instance) quotaSpentAt() time.Time {
	if ms := i.quotaSpent.Load(); ms != 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// NewInstance returns the state of instance id, not yet checked.
func NewInstance(id string) *Instance { return &Instance{ID: id} }

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

// problem says why the instance cannot work now, or "" when it can: it is
// authorized and calls to it are not paused.
func (i *Instance) problem() string {
	if paused := i.Paused(); paused != nil {
		return "calls paused: " + paused.Error()
	}
	state, _, err := i.Get()
	switch {
	case err != nil:
		return "state unknown: " + err.Error()
	case state != "authorized":
		if state == "" {
			state = "not checked yet"
		}
		return state
	}
	return ""
}

// Replica is this process's standing among the replicas.
type Replica struct {
	mu      sync.Mutex
	joining time.Time // not ready before: the other replicas learn of this one
}

// JoinUntil keeps the replica out of the load balancer's rotation until t,
// the time the other replicas need to learn of it.
func (r *Replica) JoinUntil(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.joining = t
}

func (r *Replica) joiningUntil() time.Time {
	if r == nil {
		return time.Time{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.joining
}

func healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyzListed is the most instances /readyz names one by one; past it
// the body counts them.
const readyzListed = 20

// readyz is 200 when the store answers, the replica is not joining and at
// least one instance works (authorized, calls not paused), and 503
// otherwise, with what is wrong in the body: with one instance, an
// instance that does not work takes the replica out of rotation; with
// many, the others still need their webhooks.
func readyz(store interface{ Ping(context.Context) error }, instances *Instances, replica *Replica) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		body := gin.H{"store": "ok"}
		ready := true
		if err := store.Ping(ctx); err != nil {
			body["store"] = err.Error()
			ready = false
		}
		all := instances.All()
		working, problems := 0, gin.H{}
		for _, inst := range all {
			if p := inst.problem(); p == "" {
				working++
			} else if len(problems) < readyzListed {
				problems[inst.ID] = p
			}
		}
		body["instances"] = len(all)
		body["instances_working"] = working
		if len(problems) > 0 {
			body["instances_not_working"] = problems
		}
		if len(all) == 1 {
			state, checked, _ := all[0].Get()
			if state != "" { // not checked yet: instances_not_working says so
				body["instance"] = state
			}
			if !checked.IsZero() {
				body["instance_checked_at"] = checked.UTC().Format(time.RFC3339)
			}
		}
		if working == 0 {
			ready = false
		}
		if until := replica.joiningUntil(); time.Now().Before(until) {
			body["replica"] = "joining: the other replicas learn of this one until " + until.UTC().Format(time.RFC3339)
			ready = false
		}
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		c.JSON(status, body)
	}
}
