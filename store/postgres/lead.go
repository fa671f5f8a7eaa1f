package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// leaderCheck is how often a leader makes sure that the connection holding
// its lock is alive.
const leaderCheck = 2 * time.Second

// leaderKey is the SQL text of the advisory lock key of the duty named by
// the expression nameExpr, in this store's schema.
func leaderKey(nameExpr string) string {
	return `'frontdesk leader ' || current_schema() || ' ' || ` + nameExpr
}

// TryLead implements queue.Elector with a session advisory lock, held on a
// connection of its own: the server releases it when that connection ends,
// so a replica that dies (or loses the database) loses its leadership with
// it, and another replica's next campaign wins.
func (d *DB) TryLead(ctx context.Context, name string) (<-chan struct{}, func(), bool, error) {
	conn, err := pgx.ConnectConfig(ctx, d.conn.Copy())
	if err != nil {
		return nil, nil, false, fmt.Errorf("campaigning for %s: %w", name, err)
	}
	// The server drops the lock when it finds the connection dead: for a
	// process that died, at once; for a host cut off, after these probes
	// (10 s idle, then 3 unanswered 5 s apart: about 25 s).
	if _, err := conn.Exec(ctx, `SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3`); err != nil {
		conn.Close(context.Background())
		return nil, nil, false, fmt.Errorf("campaigning for %s: %w", name, err)
	}
	var ok bool
	// Advisory locks are the database's, not the schema's: the key names
	// the schema, so that two deployments in two schemas of one database
	// each have their leaders.
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext(`+leaderKey("$1")+`))`, name).Scan(&ok); err != nil || !ok {
		conn.Close(context.Background())
		if err != nil {
			return nil, nil, false, fmt.Errorf("campaigning for %s: %w", name, err)
		}
		return nil, nil, false, nil
	}
	lost := make(chan struct{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(leaderCheck)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			pctx, cancel := context.WithTimeout(context.Background(), leaderCheck)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				close(lost)
				return
			}
		}
	}()
	release := func() {
		close(stop)
		<-done
		conn.Close(context.Background()) // ends the session: the lock goes with it
	}
	return lost, release, true, nil
}
