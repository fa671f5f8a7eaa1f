package queue

import (
	"context"
	"log/slog"
	"time"
)

// Elector elects, among the replicas on one database, the one that does a
// duty only one should do (pruning, polling Green API's queue).
type Elector interface {
	// TryLead makes this process the leader of name if no other is. It
	// returns ok=false when another process leads; when ok, lost is closed
	// if the leadership is lost (the database connection that holds it
	// broke), and release gives it up.
	TryLead(ctx context.Context, name string) (lost <-chan struct{}, release func(), ok bool, err error)
}

// SoleElector is the Elector of a store that serves one process (SQLite):
// that process always leads.
type SoleElector struct{}

// TryLead implements Elector.
func (SoleElector) TryLead(context.Context, string) (<-chan struct{}, func(), bool, error) {
	return make(chan struct{}), func() {}, true, nil
}

// Lead runs duty while this process leads name, and campaigns again every
// retry while it does not, until ctx ends: the duty runs in one replica at a
// time, and another takes it over within retry when that replica dies. The
// duty's context ends when the leadership is lost.
func Lead(ctx context.Context, e Elector, name string, retry time.Duration, log *slog.Logger, duty func(context.Context)) {
	for ctx.Err() == nil {
		lost, release, ok, err := e.TryLead(ctx, name)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				log.Warn("campaigning for a duty failed; will try again", "duty", name, "retry_in", retry, "err", err)
			}
		case ok:
			log.Info("this replica leads a duty", "duty", name)
			dutyCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				duty(dutyCtx)
			}()
			select {
			case <-lost:
				log.Warn("leadership lost; the duty stops here", "duty", name)
			case <-done:
			case <-ctx.Done():
			}
			cancel()
			<-done
			release()
		}
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
