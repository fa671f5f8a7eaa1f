package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/jackc/pgx/v5"
)

// ErrReplicaInUse is returned by Replica when a live process already uses
// the id.
var ErrReplicaInUse = errors.New("in use by a live replica")

// replicaWait is how long Replica waits for an id's lock before it says
// the id is in use.
const replicaWait = 5 * time.Second

// replicaDuty names the lock that says a replica is alive.
func replicaDuty(id string) string { return "replica " + id }

// Replica makes this store the one of replica id: the notifications it
// stores from now on are its own, it lists only its own, and it holds a
// lock, on a connection of its own, that says it is alive. A replica that
// restarts with the same id takes its own unfinished work back at once;
// when it dies, the server drops the lock with its connection and every
// other replica may rescue its work (Rescue). Call it before any other
// method. lost is closed if the lock is lost: the replica must then stop
// working, since others may take its work; release gives the lock up.
func (d *DB) Replica(ctx context.Context, id string) (lost <-chan struct{}, release func(), err error) {
	if id == "" {
		return nil, nil, errors.New("postgres: empty replica id")
	}
	// A replica that restarts at once after it was killed may find its
	// former session still ending: it waits a little for the lock.
	var ok bool
	for deadline := time.Now().Add(replicaWait); ; {
		lost, release, ok, err = d.TryLead(ctx, replicaDuty(id))
		if err != nil {
			return nil, nil, err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("replica id %q is %w", id, ErrReplicaInUse)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	d.owner = id
	if _, err := d.pool.Exec(ctx, `INSERT INTO replicas (id, started_at) VALUES ($1, now())
		ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at`, id); err != nil {
		release()
		return nil, nil, fmt.Errorf("registering replica %q: %w", id, err)
	}
	return lost, release, nil
}

// OthersAlive reports whether another replica than this one is alive, and
// forgets the replicas that are gone.
func (d *DB) OthersAlive(ctx context.Context) (bool, error) {
	var others bool
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM replicas r WHERE r.id <> $1 AND NOT `+held("r.id"), d.owner); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM replicas WHERE id <> $1)`, d.owner).Scan(&others)
	})
	if err != nil {
		return false, fmt.Errorf("looking for other replicas: %w", err)
	}
	return others, nil
}

// held is the SQL condition that the replica whose id is the expression
// idExpr holds its lock: it is alive. The lock of a replica of an earlier
// build, keyed without the schema, counts too, so that a rolling upgrade
// does not take the work of replicas still running the old build.
func held(idExpr string) string {
	return `EXISTS (
		SELECT 1 FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.objid IN (hashtext(` + leaderKey(`'replica ' || `+idExpr) + `)::oid, hashtext('frontdesk leader replica ' || ` + idExpr + `)::oid))`
}

// Rescue makes this replica the owner of at most limit unfinished
// notifications whose owner is gone (its replica lock is not held) or that
// were handed back, oldest first, and returns them; a notification another
// replica is rescuing at the same moment is skipped, so no two take one.
func (d *DB) Rescue(ctx context.Context, limit int) ([]queue.Notification, error) {
	rows, err := d.pool.Query(ctx, `
		UPDATE notifications SET owner = $1
		WHERE id IN (
			SELECT n.id FROM notifications n
			WHERE n.finished_at IS NULL AND n.owner <> $1 AND NOT `+held("n.owner")+`
			ORDER BY n.id LIMIT $2
			FOR UPDATE SKIP LOCKED)
		RETURNING id, instance, chat_id`, d.owner, limit)
	if err != nil {
		return nil, fmt.Errorf("rescuing notifications: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (queue.Notification, error) {
		var n queue.Notification
		err := row.Scan(&n.ID, &n.Instance, &n.ChatID)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("rescuing notifications: %w", err)
	}
	return out, nil
}

// HandBack gives up this replica's unfinished notifications but those in
// keep (in flight), for another replica to rescue at once: on a graceful
// stop.
func (d *DB) HandBack(ctx context.Context, keep []int64) error {
	if keep == nil {
		keep = []int64{}
	}
	_, err := d.pool.Exec(ctx, `UPDATE notifications SET owner = '' WHERE owner = $1 AND finished_at IS NULL AND NOT (id = ANY($2))`, d.owner, keep)
	if err != nil {
		return fmt.Errorf("handing notifications back: %w", err)
	}
	return nil
}

// OlderPending reports whether an unfinished notification of the chat
// older than id belongs to another replica: this one must then wait, so
// that a chat's notifications are worked in order across replicas.
func (d *DB) OlderPending(ctx context.Context, instance, chatID string, id int64) (bool, error) {
	var older bool
	err := d.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM notifications
		               WHERE instance = $1 AND chat_id = $2 AND id < $3 AND finished_at IS NULL AND owner <> $4)`,
		instance, chatID, id, d.owner).Scan(&older)
	if err != nil {
		return false, fmt.Errorf("looking for older notifications of the chat: %w", err)
	}
	return older, nil
}
