// Package postgres is the PostgreSQL implementation of bot.Store, through
// pgx, for businesses that run Frontdesk beside a database they already
// back up, or several Frontdesk processes on one database. It passes the
// same suite as store/sqlite (store/storetest).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/queue"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serializes migrations when
// several processes start on one database.
const migrationLock = 0x66726f6e74 // "front"

// DB is a bot.Store on PostgreSQL. Safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool // reads, and the writer's transactions
	// paces is the pool of Reserve, whose commits do not wait for the WAL
	// flush: a turn need not survive a crash (a lost one costs at most a
	// 429, retried), but its answer must come back at once, for the turn
	// is counted from the server's clock.
	paces *pgxpool.Pool
	wr    *writer
	conn  *pgx.ConnConfig // for the connections that hold a leadership
	// owner is this replica's id (see Replica): the notifications it
	// stores are its own, and it lists only its own.
	owner string
}

var _ bot.Store = (*DB)(nil)

// Open connects to the database at url (postgres://user:password@host/db,
// with pgx's options such as pool_max_conns) and applies the migrations.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pacesCfg := cfg.Copy()
	pacesCfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	pacesCfg.MaxConns = 4
	paces, err := pgxpool.NewWithConfig(ctx, pacesCfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	d := &DB{pool: pool, paces: paces, wr: newWriter(pool), conn: cfg.ConnConfig.Copy()}
	if err := pool.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return d, nil
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, in order, in one transaction (PostgreSQL's DDL is
// transactional) under an advisory lock, so that processes starting
// together apply each migration once.
func (d *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("locking for migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return fmt.Errorf("reading the schema version: %w", err)
		}
		for i, name := range names {
			if i < version {
				continue
			}
			script, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(script)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// Ping implements bot.Store: the database answers, and it can be written:
// a one-row write of its own commits, which a server in recovery (a
// standby), a read-only one or one out of disk refuses. It commits on its
// own, not in the writer's batch, so that its failure fails nothing else.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.pool.Ping(ctx); err != nil {
		return err
	}
	_, err := d.pool.Exec(ctx, `INSERT INTO health (id, checked_at) VALUES (1, now())
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`)
	if err != nil {
		return fmt.Errorf("the database cannot be written: %w", err)
	}
	return nil
}

// Close implements bot.Store: it waits for the writes in progress. Calls
// after the first do nothing.
func (d *DB) Close() error {
	d.wr.Close()
	d.pool.Close()
	if d.paces != nil {
		d.paces.Close()
	}
	return nil
}

// AddNotification implements queue.Store.
func (d *DB) AddNotification(ctx context.Context, n queue.Notification) (int64, error) {
	var id int64
	err := d.wr.Do(ctx, func(b *pgx.Batch) {
		b.Queue(`
			INSERT INTO notifications (instance, chat_id, id_message, type_webhook, body, received_at, owner)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (instance, chat_id, id_message) DO NOTHING
			RETURNING id`, n.Instance, n.ChatID, n.IDMessage, n.TypeWebhook, n.Body, n.ReceivedAt, d.owner,
		).QueryRow(func(row pgx.Row) error {
			id = 0
			if err := row.Scan(&id); !errors.Is(err, pgx.ErrNoRows) { // no row: a duplicate
				return err
			}
			return nil
		})
	})
	if unstorable(err) {
		return 0, fmt.Errorf("storing notification: %w: %w", queue.ErrUnstorable, err)
	}
	if err != nil {
		return 0, fmt.Errorf("storing notification: %w", err)
	}
	return id, nil
}

// unstorable reports whether PostgreSQL refused a value for what it is (a
// data exception, class 22, such as a NUL byte in a text; or a program
// limit, 54000, such as an index entry too large), not for a failure that
// a retry could mend.
func unstorable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "22") || pgErr.Code == "54000")
}

// AddDeadLetter implements queue.Store.
func (d *DB) AddDeadLetter(ctx context.Context, instance string, body []byte, reason string, at time.Time) error {
	if err := d.wr.exec(ctx, `INSERT INTO dead_letters (instance, body, reason, received_at) VALUES ($1, $2, $3, $4)`, instance, body, reason, at); err != nil {
		return fmt.Errorf("storing dead letter: %w", err)
	}
	return nil
}

// PendingNotifications implements queue.Store: this replica's own.
func (d *DB) PendingNotifications(ctx context.Context, after int64, limit int) ([]queue.Notification, error) {
	rows, err := d.pool.Query(ctx, `
		SELECT id, instance, chat_id, id_message, type_webhook, received_at
		FROM notifications WHERE finished_at IS NULL AND owner = $3 AND id > $1 ORDER BY id LIMIT $2`, after, limit, d.owner)
	if err != nil {
		return nil, fmt.Errorf("listing pending notifications: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (queue.Notification, error) {
		var n queue.Notification
		err := row.Scan(&n.ID, &n.Instance, &n.ChatID, &n.IDMessage, &n.TypeWebhook, &n.ReceivedAt)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing pending notifications: %w", err)
	}
	return out, nil
}

// GetNotification implements queue.Store.
func (d *DB) GetNotification(ctx context.Context, id int64) (queue.Notification, error) {
	n := queue.Notification{ID: id}
	err := d.pool.QueryRow(ctx, `
		SELECT instance, chat_id, id_message, type_webhook, body, received_at, finished_at IS NOT NULL
		FROM notifications WHERE id = $1`, id).Scan(&n.Instance, &n.ChatID, &n.IDMessage, &n.TypeWebhook, &n.Body, &n.ReceivedAt, &n.Finished)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, bot.ErrNotFound
	}
	return n, err
}

// FinishNotification implements queue.Store.
func (d *DB) FinishNotification(ctx context.Context, id int64, at time.Time) error {
	return d.wr.exec(ctx, `UPDATE notifications SET finished_at = $1 WHERE id = $2`, at, id)
}

// CountPending implements queue.Store: this replica's own.
func (d *DB) CountPending(ctx context.Context) (int, error) {
	var n int
	err := d.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE finished_at IS NULL AND owner = $1`, d.owner).Scan(&n)
	return n, err
}

// Instances returns the instances that rows of the database belong to
// ("" for rows kept before instances were told apart).
func (d *DB) Instances(ctx context.Context) ([]string, error) {
	rows, err := d.pool.Query(ctx, `SELECT instance FROM notifications UNION SELECT instance FROM chats
		UNION SELECT instance FROM first_contacts UNION SELECT instance FROM profiles ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("listing the instances of the rows: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// PendingOf implements queue.Store.
func (d *DB) PendingOf(ctx context.Context, instance string) (int, error) {
	var n int
	err := d.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE finished_at IS NULL AND instance = $1`, instance).Scan(&n)
	return n, err
}

// AdoptUnassigned implements bot.Store: in one transaction, for a row
// whose key the instance holds already, the instance's row is kept.
func (d *DB) AdoptUnassigned(ctx context.Context, instance string) (int, error) {
	total := 0
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		total = 0
		for _, q := range []string{
			`UPDATE notifications o SET instance = $1 WHERE instance = '' AND NOT EXISTS (
				SELECT 1 FROM notifications n WHERE n.instance = $1 AND n.chat_id = o.chat_id AND n.id_message = o.id_message)`,
			`UPDATE chats o SET instance = $1 WHERE instance = '' AND NOT EXISTS (
				SELECT 1 FROM chats n WHERE n.instance = $1 AND n.chat_id = o.chat_id)`,
			`UPDATE profiles o SET instance = $1 WHERE instance = '' AND NOT EXISTS (
				SELECT 1 FROM profiles n WHERE n.instance = $1 AND n.chat_id = o.chat_id)`,
			`UPDATE first_contacts o SET instance = $1 WHERE instance = '' AND NOT EXISTS (
				SELECT 1 FROM first_contacts n WHERE n.instance = $1 AND n.chat_id = o.chat_id AND n.id_message = o.id_message)`,
			`UPDATE events SET instance = $1 WHERE instance = ''`,
			`UPDATE dead_letters SET instance = $1 WHERE instance = ''`,
		} {
			tag, err := tx.Exec(ctx, q, instance)
			if err != nil {
				return err
			}
			total += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("adopting the rows of a single-instance Frontdesk: %w", err)
	}
	return total, nil
}

// PruneNotifications implements bot.Store.
func (d *DB) PruneNotifications(ctx context.Context, finishedBefore time.Time, limit int) (int, error) {
	tag, err := d.pool.Exec(ctx, `
		DELETE FROM notifications WHERE id IN (
			SELECT id FROM notifications WHERE finished_at < $1 ORDER BY id LIMIT $2)`, finishedBefore, limit)
	if err != nil {
		return 0, fmt.Errorf("pruning finished notifications: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// paceHorizon is how far ahead a line of turns may reach: a caller that
// would get a later turn waits, unreserved, until the line is shorter.
// Turns reserved by a process that then dies are lost time for everyone,
// so a crash costs at most this (not the whole line it had reserved).
const paceHorizon = 2 * time.Second

// Reserve implements pacing.Pacer: the turns of key are handed out in the
// database's clock, one statement each, so that every replica takes them
// from one line. The line reaches at most paceHorizon (or two turns)
// ahead: past it, Reserve waits for the line to shorten before it takes a
// turn.
func (d *DB) Reserve(ctx context.Context, key string, every time.Duration) (time.Duration, error) {
	horizon := max(paceHorizon, 2*every)
	for {
		var wait float64
		// One statement, committed without waiting for the WAL flush (the
		// paces pool): a reply held back by the flush would make its
		// caller late for its turn, and so close to the next turn,
		// another replica's.
		err := d.paces.QueryRow(ctx, `
			INSERT INTO paces (key, next_at) VALUES ($1, clock_timestamp() + $2::interval)
			ON CONFLICT (key) DO UPDATE SET next_at = greatest(paces.next_at, clock_timestamp()) + $2::interval
				WHERE paces.next_at < clock_timestamp() + $3::interval
			RETURNING extract(epoch FROM next_at - $2::interval - clock_timestamp())::float8`,
			key, every, horizon).Scan(&wait)
		if err == nil {
			return max(0, seconds(wait)), nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("reserving a turn of %s: %w", key, err)
		}
		// The line is full: wait until it reaches less far, then try again
		// (with a little jitter, so that the waiters do not all come back
		// at once).
		var ahead float64
		if err := d.paces.QueryRow(ctx, `SELECT extract(epoch FROM next_at - clock_timestamp())::float8 FROM paces WHERE key = $1`, key).Scan(&ahead); err != nil {
			return 0, fmt.Errorf("reserving a turn of %s: %w", key, err)
		}
		t := time.NewTimer(max(0, seconds(ahead)-horizon) + rand.N(every+time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("reserving a turn of %s: %w", key, ctx.Err())
		case <-t.C:
		}
	}
}

// seconds is a duration of s seconds.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// AddEvent implements bot.Store.
func (d *DB) AddEvent(ctx context.Context, e bot.OutboxEvent) error {
	if err := d.wr.exec(ctx, `INSERT INTO events (id, instance, chat_id, body, created_at, next_at) VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (id) DO NOTHING`, e.ID, e.Instance, e.ChatID, e.Body, e.CreatedAt); err != nil {
		return fmt.Errorf("keeping event %s: %w", e.ID, err)
	}
	return nil
}

// DueEvents implements bot.Store.
func (d *DB) DueEvents(ctx context.Context, now time.Time, limit int) ([]bot.OutboxEvent, error) {
	rows, err := d.pool.Query(ctx, `
		SELECT seq, id, instance, chat_id, body, created_at, attempts FROM events e
		WHERE delivered_at IS NULL AND dead_at IS NULL AND next_at <= $1
		  AND NOT EXISTS (SELECT 1 FROM events o WHERE o.instance = e.instance AND o.chat_id = e.chat_id AND o.chat_id <> '' AND o.seq < e.seq
		                  AND o.delivered_at IS NULL AND o.dead_at IS NULL)
		ORDER BY seq LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("listing due events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.OutboxEvent, error) {
		var e bot.OutboxEvent
		err := row.Scan(&e.Seq, &e.ID, &e.Instance, &e.ChatID, &e.Body, &e.CreatedAt, &e.Attempts)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing due events: %w", err)
	}
	return out, nil
}

// SettleEvent implements bot.Store.
func (d *DB) SettleEvent(ctx context.Context, seq int64, s bot.EventSettlement) error {
	var err error
	switch {
	case s.Delivered:
		err = d.wr.exec(ctx, `UPDATE events SET delivered_at = $1, attempts = $2, last_error = '' WHERE seq = $3`, s.At, s.Attempts, seq)
	case s.Dead:
		err = d.wr.exec(ctx, `UPDATE events SET dead_at = $1, attempts = $2, last_error = $3 WHERE seq = $4`, s.At, s.Attempts, s.Err, seq)
	default:
		err = d.wr.exec(ctx, `UPDATE events SET next_at = $1, attempts = $2, last_error = $3 WHERE seq = $4`, s.NextAt, s.Attempts, s.Err, seq)
	}
	if err != nil {
		return fmt.Errorf("recording event %d: %w", seq, err)
	}
	return nil
}

// CountEvents implements bot.Store.
func (d *DB) CountEvents(ctx context.Context) (waiting, dead int, err error) {
	err = d.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL),
		count(*) FILTER (WHERE dead_at IS NOT NULL) FROM events`).Scan(&waiting, &dead)
	return waiting, dead, err
}

// PruneContacts implements bot.Store.
func (d *DB) PruneContacts(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, q := range []string{
		`DELETE FROM profiles WHERE fetched_at < $1`,
		`DELETE FROM first_contacts WHERE step IN ('done', 'gave_up') AND updated_at < $1`,
		`DELETE FROM dead_letters WHERE received_at < $1`,
		`DELETE FROM events WHERE coalesce(delivered_at, dead_at) < $1`,
		`DELETE FROM chat_messages WHERE created_at < $1`,
	} {
		tag, err := d.pool.Exec(ctx, q, before)
		if err != nil {
			return total, fmt.Errorf("pruning contacts: %w", err)
		}
		total += int(tag.RowsAffected())
	}
	return total, nil
}

// PruneChats implements bot.Store.
func (d *DB) PruneChats(ctx context.Context, before time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `
		DELETE FROM chats WHERE last_activity_at < $1 AND NOT EXISTS (
			SELECT 1 FROM first_contacts f WHERE f.instance = chats.instance AND f.chat_id = chats.chat_id AND f.step NOT IN ('done', 'gave_up'))`, before)
	if err != nil {
		return 0, fmt.Errorf("pruning chats: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Forget implements bot.Store: one transaction, so that a contact is
// forgotten everywhere or nowhere.
func (d *DB) Forget(ctx context.Context, chatID string) (bot.Forgotten, error) {
	var f bot.Forgotten
	err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		for _, step := range []struct {
			q     string
			count *int
		}{
			{`DELETE FROM profiles WHERE chat_id = $1`, &f.Profiles},
			{`DELETE FROM chats WHERE chat_id = $1`, &f.Chats},
			{`DELETE FROM first_contacts WHERE chat_id = $1`, &f.FirstContacts},
			{`DELETE FROM notifications WHERE chat_id = $1`, &f.Notifications},
			{`DELETE FROM events WHERE chat_id = $1`, &f.Events},
			{`DELETE FROM chat_messages WHERE chat_id = $1`, &f.ChatMessages},
			{`DELETE FROM dead_letters WHERE position(convert_to($1, 'UTF8') in body) > 0`, &f.DeadLetters},
		} {
			tag, err := tx.Exec(ctx, step.q, chatID)
			if err != nil {
				return err
			}
			*step.count = int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return bot.Forgotten{}, fmt.Errorf("forgetting %s: %w", chatID, err)
	}
	return f, nil
}

// LIDNotifications implements bot.Store.
func (d *DB) LIDNotifications(ctx context.Context, text string) ([]queue.Notification, error) {
	rows, err := d.pool.Query(ctx, `SELECT id, instance, chat_id, id_message, type_webhook, body FROM notifications
		WHERE chat_id LIKE '%@lid' AND position(convert_to($1, 'UTF8') in body) > 0 ORDER BY id`, text)
	if err != nil {
		return nil, fmt.Errorf("reading the notifications of @lid chats: %w", err)
	}
	defer rows.Close()
	var out []queue.Notification
	for rows.Next() {
		var n queue.Notification
		if err := rows.Scan(&n.ID, &n.Instance, &n.ChatID, &n.IDMessage, &n.TypeWebhook, &n.Body); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// MarkAnswered implements bot.Store.
func (d *DB) MarkAnswered(ctx context.Context, instance, chatID, sentID string, at time.Time, by string) (bot.FirstContact, bool, error) {
	fc := bot.FirstContact{Instance: instance, ChatID: chatID, AnsweredAt: at, AnsweredBy: by}
	first := false
	err := d.wr.Do(ctx, func(b *pgx.Batch) {
		b.Queue(`UPDATE first_contacts SET answered_at = $1, answered_by = $2, answered_msg = $5
			WHERE instance = $3 AND chat_id = $4
				AND id_message = (SELECT first_contact_msg FROM chats WHERE instance = $3 AND chat_id = $4)
				AND (answered_at IS NULL OR answered_msg = $5) AND (message_at IS NULL OR message_at <= $1)
				AND reply_id <> $5 AND answer_id <> $5
				AND NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.instance = $3 AND m.chat_id = $4 AND m.sent_id = $5)
			RETURNING id_message, rule, choice, created_at, message_at`, at, by, instance, chatID, sentID,
		).QueryRow(func(row pgx.Row) error {
			var message *time.Time
			err := row.Scan(&fc.IDMessage, &fc.Rule, &fc.Choice, &fc.CreatedAt, &message)
			if message != nil {
				fc.MessageAt = *message
			}
			if errors.Is(err, pgx.ErrNoRows) {
				first = false
				return nil
			}
			first = err == nil
			return err
		})
	})
	if err != nil {
		return fc, false, fmt.Errorf("recording an answer: %w", err)
	}
	return fc, first, nil
}

// ClaimCallReply implements bot.Store.
func (d *DB) ClaimCallReply(ctx context.Context, instance, chatID, idMessage string, at time.Time, within time.Duration) (bool, error) {
	claimed := false
	err := d.wr.Do(ctx, func(b *pgx.Batch) {
		b.Queue(`UPDATE chats SET call_reply_at = $1, call_reply_msg = $2
			WHERE instance = $3 AND chat_id = $4
				AND (call_reply_msg IN ('', $2) OR ($5::bigint > 0 AND call_reply_at <= $1::timestamptz - $5::bigint * interval '1 millisecond'))
			RETURNING true`, at, idMessage, instance, chatID, within.Milliseconds(),
		).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&claimed)
			if errors.Is(err, pgx.ErrNoRows) {
				claimed = false
				return nil
			}
			return err
		})
	})
	if err != nil {
		return false, fmt.Errorf("claiming the answer to a call: %w", err)
	}
	return claimed, nil
}

// SetAnswerWait implements bot.Store.
func (d *DB) SetAnswerWait(ctx context.Context, instance, chatID, idMessage string, waited time.Duration) error {
	return d.wr.exec(ctx, `UPDATE first_contacts SET answer_wait_ms = $1 WHERE instance = $2 AND chat_id = $3 AND id_message = $4`,
		waited.Milliseconds(), instance, chatID, idMessage)
}

// WaitingForAnswer implements bot.Recent.
func (d *DB) WaitingForAnswer(ctx context.Context, limit int) ([]bot.FirstContact, error) {
	return d.firstContacts(ctx, "listing the contacts waiting for an answer", `SELECT `+readColumns+` FROM first_contacts f
		WHERE answered_at IS NULL AND summary_id <> '' AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message)
		ORDER BY created_at LIMIT $1`, limit)
}

// waitingWhere picks the routed first contacts of instance $1 still
// waiting for a person: unanswered, and their chat's current one.
const waitingWhere = `instance = $1 AND answered_at IS NULL AND summary_id <> ''
	AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message)`

// DayFigures implements bot.Store.
func (d *DB) DayFigures(ctx context.Context, instance string, since time.Time, limit int) (bot.DayFigures, error) {
	var f bot.DayFigures
	rows, err := d.pool.Query(ctx, `SELECT answered_at IS NOT NULL, answer_wait_ms FROM first_contacts WHERE instance = $1 AND created_at >= $2`,
		instance, since)
	if err != nil {
		return f, fmt.Errorf("reading the day's first contacts: %w", err)
	}
	for rows.Next() {
		var (
			answered bool
			ms       int64
		)
		if err := rows.Scan(&answered, &ms); err != nil {
			rows.Close()
			return f, err
		}
		f.Contacts++
		if answered {
			f.Answered = append(f.Answered, time.Duration(ms)*time.Millisecond)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, err
	}
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM first_contacts f WHERE `+waitingWhere, instance).Scan(&f.WaitingTotal); err != nil {
		return f, fmt.Errorf("counting the contacts waiting for an answer: %w", err)
	}
	f.Waiting, err = d.firstContacts(ctx, "listing the contacts waiting for an answer", `SELECT `+readColumns+` FROM first_contacts f WHERE `+waitingWhere+`
		ORDER BY created_at LIMIT $2`, instance, limit)
	return f, err
}

// AnswerTimes implements bot.Recent.
func (d *DB) AnswerTimes(ctx context.Context, since time.Time) ([]bot.AnswerTime, error) {
	rows, err := d.pool.Query(ctx, `SELECT rule, claimed_by, answer_wait_ms, rating FROM first_contacts WHERE answered_at >= $1`, since)
	if err != nil {
		return nil, fmt.Errorf("reading the times to answer: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.AnswerTime, error) {
		var a bot.AnswerTime
		var ms int64
		var rating int16
		err := row.Scan(&a.Rule, &a.Operator, &ms, &rating)
		a.Rating = int(rating)
		a.Waited = time.Duration(ms) * time.Millisecond
		return a, err
	})
}

// DueRatings implements bot.Store.
func (d *DB) DueRatings(ctx context.Context, instance string, idleBefore, answeredAfter time.Time, limit int) ([]bot.FirstContact, error) {
	return d.firstContacts(ctx, "listing the follow-up questions that are due", `SELECT `+readColumns+` FROM first_contacts f
		WHERE instance = $1 AND rating_asked_at IS NULL AND answered_by IN ('phone', 'api') AND answered_at > $3
			AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message
				AND c.last_activity_at <= $2 AND c.opted_out_at IS NULL)
		ORDER BY answered_at LIMIT $4`, instance, idleBefore, answeredAfter, limit)
}

// SetRatingAsked implements bot.Store.
func (d *DB) SetRatingAsked(ctx context.Context, instance, chatID, idMessage string, at time.Time) error {
	return d.wr.exec(ctx, `UPDATE first_contacts SET rating_asked_at = $1 WHERE instance = $2 AND chat_id = $3 AND id_message = $4 AND rating_asked_at IS NULL`,
		at, instance, chatID, idMessage)
}

// SetRating implements bot.Store.
func (d *DB) SetRating(ctx context.Context, instance, chatID, idMessage string, rating int, vote string, at time.Time) (bool, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE first_contacts SET rating = $1, rated_at = $2, rated_msg = $6
		WHERE instance = $3 AND chat_id = $4 AND id_message = $5 AND (rating = 0 OR rated_msg = $6)`,
		rating, at, instance, chatID, idMessage, vote)
	if err != nil {
		return false, fmt.Errorf("recording a rating: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// SetAnswerChanged implements bot.Store.
func (d *DB) SetAnswerChanged(ctx context.Context, instance, chatID, idMessage, to string, at time.Time) error {
	return d.wr.exec(ctx, `UPDATE first_contacts SET changed_to = $1, changed_at = $2 WHERE instance = $3 AND chat_id = $4 AND id_message = $5`,
		to, at, instance, chatID, idMessage)
}

// FirstContactBySent implements bot.Store.
func (d *DB) FirstContactBySent(ctx context.Context, instance, sentID string) (bot.FirstContact, error) {
	fc, err := scanFirstContact(d.pool.QueryRow(ctx, `SELECT `+readColumns+` FROM first_contacts
		WHERE (instance = $1 AND summary_id = $2 AND summary_id <> '') OR (instance = $1 AND reminder_id = $2 AND reminder_id <> '')
			OR (instance = $1 AND escalation_id = $2 AND escalation_id <> '') LIMIT 1`, instance, sentID))
	if errors.Is(err, pgx.ErrNoRows) {
		return fc, bot.ErrNotFound
	}
	return fc, err
}

// SummaryUnsettled implements bot.Store.
func (d *DB) SummaryUnsettled(ctx context.Context, instance, chatID string) (bool, error) {
	var unsettled bool
	err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM first_contacts
		WHERE instance = $1 AND summary_to = $2 AND summary_attempted AND summary_id = '')`, instance, chatID).Scan(&unsettled)
	return unsettled, err
}

// TakeFirstContact implements bot.Store. The claim is one statement: the
// row is locked, and every SET expression sees it as it was.
func (d *DB) TakeFirstContact(ctx context.Context, instance, chatID, idMessage string, c bot.Claim, remindAt, escalateAt time.Time) (bot.FirstContact, error) {
	err := d.wr.exec(ctx, `UPDATE first_contacts SET claimed_by = $4, claimed_phone = $5, claim_msg = $6, claimed_at = $7,
			remind_at = CASE WHEN remind_at IS NOT NULL AND reminder_id = '' AND NOT reminder_attempted THEN greatest(remind_at, $8) ELSE remind_at END,
			escalate_at = CASE WHEN escalate_at IS NOT NULL AND escalation_id = '' AND NOT escalation_attempted THEN greatest(escalate_at, $9) ELSE escalate_at END
		WHERE instance = $1 AND chat_id = $2 AND id_message = $3 AND claim_msg = ''`,
		instance, chatID, idMessage, c.By, c.Phone, c.Msg, c.At, nullTime(remindAt), nullTime(escalateAt))
	if err != nil {
		return bot.FirstContact{}, fmt.Errorf("recording a claim: %w", err)
	}
	return d.GetFirstContact(ctx, instance, chatID, idMessage)
}

// ReleaseFirstContact implements bot.Store.
func (d *DB) ReleaseFirstContact(ctx context.Context, instance, chatID, idMessage string) error {
	return d.wr.exec(ctx, `DELETE FROM chats WHERE instance = $1 AND chat_id = $2 AND first_contact_msg = $3
		AND human_until IS NULL AND opted_out_at IS NULL`, instance, chatID, idMessage)
}

// MarkKnown implements bot.Store.
func (d *DB) MarkKnown(ctx context.Context, instance, chatID string, at, humanUntil time.Time) error {
	return d.wr.exec(ctx, `
		INSERT INTO chats (instance, chat_id, last_activity_at, human_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance, chat_id) DO UPDATE SET last_activity_at = greatest(chats.last_activity_at, excluded.last_activity_at),
			human_until = greatest(chats.human_until, excluded.human_until)`,
		instance, chatID, at, nullTime(humanUntil))
}

// nullTime is t, or NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// GetChat implements bot.Store.
func (d *DB) GetChat(ctx context.Context, instance, chatID string) (bot.ChatState, error) {
	var (
		human, optedOut, away *time.Time
		locale, holder        string
		menu                  bool
	)
	err := d.pool.QueryRow(ctx, `SELECT human_until, opted_out_at, away_until, locale, first_contact_msg, menu_waits FROM chats WHERE instance = $1 AND chat_id = $2`, instance, chatID).
		Scan(&human, &optedOut, &away, &locale, &holder, &menu)
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.ChatState{}, nil
	}
	st := chatState(false, human, optedOut, away)
	st.Locale, st.FirstContactMsg, st.MenuWaits = locale, holder, menu
	return st, err
}

// SetMenuWaits implements bot.Store.
func (d *DB) SetMenuWaits(ctx context.Context, instance, chatID, idMessage string, waits bool) error {
	return d.wr.exec(ctx, `UPDATE chats SET menu_waits = $1 WHERE instance = $2 AND chat_id = $3 AND first_contact_msg = $4`, waits, instance, chatID, idMessage)
}

// SetLocale implements bot.Store.
func (d *DB) SetLocale(ctx context.Context, instance, chatID, locale string) error {
	return d.wr.exec(ctx, `UPDATE chats SET locale = $1 WHERE instance = $2 AND chat_id = $3`, locale, instance, chatID)
}

func chatState(claimed bool, human, optedOut, away *time.Time) bot.ChatState {
	st := bot.ChatState{Claimed: claimed}
	for _, f := range []struct {
		from *time.Time
		to   *time.Time
	}{{human, &st.HumanUntil}, {optedOut, &st.OptedOut}, {away, &st.AwayUntil}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	return st
}

// SetAwayUntil implements bot.Store.
func (d *DB) SetAwayUntil(ctx context.Context, instance, chatID string, until time.Time) error {
	return d.wr.exec(ctx, `UPDATE chats SET away_until = greatest(away_until, $1) WHERE instance = $2 AND chat_id = $3`, until, instance, chatID)
}

// SetOptedOut implements bot.Store.
func (d *DB) SetOptedOut(ctx context.Context, instance, chatID string, out bool, at time.Time) error {
	var v *time.Time // NULL: opted back in
	if out {
		v = &at
	}
	return d.wr.exec(ctx, `INSERT INTO chats (instance, chat_id, last_activity_at, opted_out_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance, chat_id) DO UPDATE SET opted_out_at = $4`, instance, chatID, at, v)
}

// GetChatMessage implements bot.Store.
func (d *DB) GetChatMessage(ctx context.Context, instance, chatID, idMessage, kind string) (bot.ChatMessage, error) {
	m := bot.ChatMessage{Instance: instance, ChatID: chatID, IDMessage: idMessage, Kind: kind}
	var options []string
	err := d.pool.QueryRow(ctx, `SELECT text, attempted, sent_id, created_at, style, options, fallback FROM chat_messages
		WHERE instance = $1 AND chat_id = $2 AND id_message = $3 AND kind = $4`, instance, chatID, idMessage, kind).
		Scan(&m.Out.Text, &m.Out.Attempted, &m.Out.ID, &m.CreatedAt, &m.Out.Style, &options, &m.Out.Fallback)
	if len(options) > 0 {
		m.Out.Options = options
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return m, bot.ErrNotFound
	}
	m.Out.To = chatID
	return m, err
}

// SaveChatMessage implements bot.Store.
func (d *DB) SaveChatMessage(ctx context.Context, m bot.ChatMessage) error {
	options := m.Out.Options
	if options == nil {
		options = []string{}
	}
	return d.wr.exec(ctx, `INSERT INTO chat_messages (instance, chat_id, id_message, kind, text, attempted, sent_id, created_at, style, options, fallback)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (instance, chat_id, id_message, kind) DO UPDATE SET attempted = excluded.attempted, sent_id = excluded.sent_id,
			text = excluded.text, style = excluded.style, options = excluded.options, fallback = excluded.fallback`,
		m.Instance, m.ChatID, m.IDMessage, m.Kind, m.Out.Text, m.Out.Attempted, m.Out.ID, m.CreatedAt, m.Out.Style, options, m.Out.Fallback)
}

// ClaimFirstContact implements bot.Store. The claim is one statement: the
// row is locked, and every SET expression sees it as it was.
func (d *DB) ClaimFirstContact(ctx context.Context, instance, chatID, idMessage string, at time.Time, newAfter time.Duration) (bot.ChatState, error) {
	var (
		holder, locale        string
		human, optedOut, away *time.Time
		menu                  bool
	)
	err := d.wr.Do(ctx, func(b *pgx.Batch) {
		b.Queue(`
			INSERT INTO chats (instance, chat_id, last_activity_at, first_contact_msg) VALUES ($1, $2, $3, $4)
			ON CONFLICT (instance, chat_id) DO UPDATE SET
				first_contact_msg = CASE
					WHEN $5::bigint > 0 AND chats.last_activity_at < $3 - $5::bigint * interval '1 millisecond'
					THEN excluded.first_contact_msg
					ELSE chats.first_contact_msg END,
				last_activity_at = greatest(chats.last_activity_at, excluded.last_activity_at)
			RETURNING first_contact_msg, human_until, opted_out_at, away_until, locale, menu_waits`, instance, chatID, at, idMessage, newAfter.Milliseconds(),
		).QueryRow(func(row pgx.Row) error { return row.Scan(&holder, &human, &optedOut, &away, &locale, &menu) })
	})
	if err != nil {
		return bot.ChatState{}, fmt.Errorf("claiming a first contact: %w", err)
	}
	st := chatState(holder == idMessage, human, optedOut, away)
	st.Locale, st.FirstContactMsg, st.MenuWaits = locale, holder, menu && holder != idMessage
	return st, nil
}

// GetProfile implements bot.Store.
func (d *DB) GetProfile(ctx context.Context, instance, chatID string) (bot.Profile, error) {
	p := bot.Profile{Instance: instance, ChatID: chatID}
	err := d.pool.QueryRow(ctx, `SELECT info, fetched_at FROM profiles WHERE instance = $1 AND chat_id = $2`, instance, chatID).Scan(&p.Info, &p.FetchedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, bot.ErrNotFound
	}
	return p, err
}

// SaveProfile implements bot.Store.
func (d *DB) SaveProfile(ctx context.Context, p bot.Profile) error {
	return d.wr.exec(ctx, `
		INSERT INTO profiles (instance, chat_id, info, fetched_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance, chat_id) DO UPDATE SET info = excluded.info, fetched_at = excluded.fetched_at`,
		p.Instance, p.ChatID, p.Info, p.FetchedAt)
}

const firstContactColumns = `instance, chat_id, id_message, step, rule, tag, locale, reply, reply_attempted, reply_id,
	summary, summary_to, summary_attempted, summary_id, degraded, skipped, reply_file_url, reply_file_name, reply_typing_ms,
	choice_until, choice, choice_msg, answer, answer_attempted, answer_id, created_at, updated_at,
	remind_at, reminder, reminder_to, reminder_attempted, reminder_id, escalate_at, escalation, escalation_to, escalation_attempted, escalation_id,
	message_at, choice_by`

// readColumns are firstContactColumns and what only MarkAnswered and
// TakeFirstContact write.
const readColumns = firstContactColumns + `, answered_at, answered_by, claimed_by, claimed_phone, claim_msg, claimed_at, changed_to, changed_at, rating_asked_at, rating`

// scanFirstContact reads a row of firstContactColumns.
func scanFirstContact(row pgx.Row) (bot.FirstContact, error) {
	var (
		fc                                bot.FirstContact
		step                              string
		until, remind, escalate, answered *time.Time
		message, claimed, changed, asked  *time.Time
		rating                            int16
	)
	err := row.Scan(&fc.Instance, &fc.ChatID, &fc.IDMessage, &step, &fc.Rule, &fc.Tag, &fc.Locale, &fc.Reply.Text, &fc.Reply.Attempted, &fc.Reply.ID,
		&fc.Summary.Text, &fc.Summary.To, &fc.Summary.Attempted, &fc.Summary.ID, &fc.Degraded, &fc.Skipped, &fc.Reply.FileURL, &fc.Reply.FileName, &fc.Reply.TypingMS,
		&until, &fc.Choice, &fc.ChoiceMsg, &fc.Answer.Text, &fc.Answer.Attempted, &fc.Answer.ID, &fc.CreatedAt, &fc.UpdatedAt,
		&remind, &fc.Reminder.Text, &fc.Reminder.To, &fc.Reminder.Attempted, &fc.Reminder.ID,
		&escalate, &fc.Escalation.Text, &fc.Escalation.To, &fc.Escalation.Attempted, &fc.Escalation.ID,
		&message, &fc.ChoiceBy, &answered, &fc.AnsweredBy, &fc.Claim.By, &fc.Claim.Phone, &fc.Claim.Msg, &claimed, &fc.ChangedTo, &changed, &asked, &rating)
	fc.Step, fc.Rating = bot.Step(step), int(rating)
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{until, &fc.ChoiceUntil}, {remind, &fc.RemindAt}, {escalate, &fc.EscalateAt}, {answered, &fc.AnsweredAt}, {message, &fc.MessageAt}, {claimed, &fc.Claim.At}, {changed, &fc.ChangedAt}, {asked, &fc.RatingAskedAt}} {
		if t.from != nil {
			*t.to = *t.from
		}
	}
	return fc, err
}

// GetFirstContact implements bot.Store.
func (d *DB) GetFirstContact(ctx context.Context, instance, chatID, idMessage string) (bot.FirstContact, error) {
	fc, err := scanFirstContact(d.pool.QueryRow(ctx, `SELECT `+readColumns+` FROM first_contacts WHERE instance = $1 AND chat_id = $2 AND id_message = $3`,
		instance, chatID, idMessage))
	if errors.Is(err, pgx.ErrNoRows) {
		return fc, bot.ErrNotFound
	}
	return fc, err
}

// DueChoices implements bot.Store.
func (d *DB) DueChoices(ctx context.Context, now time.Time, instances []string, limit int) ([]bot.FirstContact, error) {
	return d.firstContacts(ctx, "listing the menus whose wait ended", `SELECT `+readColumns+` FROM first_contacts f
		WHERE step = 'choosing' AND choice_until <= $1 AND instance = ANY($4) AND NOT EXISTS (
			SELECT 1 FROM notifications n WHERE n.instance = f.instance AND n.chat_id = f.chat_id AND n.id_message = $2 || f.id_message)
		ORDER BY choice_until LIMIT $3`, now, bot.ChoiceWaitPrefix, limit, instances)
}

// DueReminders implements bot.Store.
func (d *DB) DueReminders(ctx context.Context, kind string, now time.Time, instances []string, limit int) ([]bot.FirstContact, error) {
	c, ok := reminderColumns[kind]
	if !ok {
		return nil, fmt.Errorf("no reminder kind %q", kind)
	}
	return d.firstContacts(ctx, "listing the reminders that are due", `SELECT `+readColumns+` FROM first_contacts f
		WHERE answered_at IS NULL AND `+c.out+`_to <> '' AND `+c.out+`_id = '' AND `+c.at+` <= $1 AND instance = ANY($2) AND NOT EXISTS (
			SELECT 1 FROM notifications n WHERE n.instance = f.instance AND n.chat_id = f.chat_id
				AND n.id_message = $3 || f.id_message || CASE WHEN f.claim_msg <> '' THEN $5 ELSE '' END)
		AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message)
		ORDER BY `+c.at+` LIMIT $4`, now, instances, kind+":", limit, bot.ClaimedSuffix)
}

// reminderColumns names, by kind of reminder, its message's columns and
// its due time's.
var reminderColumns = map[string]struct{ out, at string }{
	bot.KindReminder:   {"reminder", "remind_at"},
	bot.KindEscalation: {"escalation", "escalate_at"},
}

// EndOrphanChoices implements bot.Store.
func (d *DB) EndOrphanChoices(ctx context.Context, before time.Time, instances []string, at time.Time) (int, error) {
	tag, err := d.pool.Exec(ctx, `UPDATE first_contacts SET step = 'gave_up', skipped = $1, updated_at = $2
		WHERE step = 'choosing' AND choice_until < $3 AND NOT (instance = ANY($4))`, bot.SkippedRemoved, at, before, instances)
	if err != nil {
		return 0, fmt.Errorf("ending the menus of numbers no longer served: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// SaveFirstContact implements bot.Store.
func (d *DB) SaveFirstContact(ctx context.Context, fc bot.FirstContact) error {
	err := d.wr.exec(ctx, `
		INSERT INTO first_contacts (`+firstContactColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27,
			$28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39)
		ON CONFLICT (instance, chat_id, id_message) DO UPDATE SET
			step = excluded.step, rule = excluded.rule, tag = excluded.tag, locale = excluded.locale,
			reply = excluded.reply, reply_attempted = excluded.reply_attempted, reply_id = excluded.reply_id,
			summary = excluded.summary, summary_to = excluded.summary_to,
			summary_attempted = excluded.summary_attempted, summary_id = excluded.summary_id,
			degraded = excluded.degraded, skipped = excluded.skipped, reply_file_url = excluded.reply_file_url,
			reply_file_name = excluded.reply_file_name, reply_typing_ms = excluded.reply_typing_ms,
			choice_until = excluded.choice_until, choice = excluded.choice, choice_msg = excluded.choice_msg,
			answer = excluded.answer, answer_attempted = excluded.answer_attempted, answer_id = excluded.answer_id,
			updated_at = excluded.updated_at,
			remind_at = CASE WHEN first_contacts.claimed_at IS NOT NULL THEN greatest(first_contacts.remind_at, excluded.remind_at) ELSE excluded.remind_at END,
			reminder = excluded.reminder, reminder_to = excluded.reminder_to,
			reminder_attempted = excluded.reminder_attempted, reminder_id = excluded.reminder_id,
			escalate_at = CASE WHEN first_contacts.claimed_at IS NOT NULL THEN greatest(first_contacts.escalate_at, excluded.escalate_at) ELSE excluded.escalate_at END,
			escalation = excluded.escalation, escalation_to = excluded.escalation_to,
			escalation_attempted = excluded.escalation_attempted, escalation_id = excluded.escalation_id,
			message_at = excluded.message_at, choice_by = excluded.choice_by`,
		fc.Instance, fc.ChatID, fc.IDMessage, string(fc.Step), fc.Rule, fc.Tag, fc.Locale, fc.Reply.Text, fc.Reply.Attempted, fc.Reply.ID,
		fc.Summary.Text, fc.Summary.To, fc.Summary.Attempted, fc.Summary.ID, fc.Degraded, fc.Skipped, fc.Reply.FileURL, fc.Reply.FileName, fc.Reply.TypingMS,
		nullTime(fc.ChoiceUntil), fc.Choice, fc.ChoiceMsg, fc.Answer.Text, fc.Answer.Attempted, fc.Answer.ID, fc.CreatedAt, fc.UpdatedAt,
		nullTime(fc.RemindAt), fc.Reminder.Text, fc.Reminder.To, fc.Reminder.Attempted, fc.Reminder.ID,
		nullTime(fc.EscalateAt), fc.Escalation.Text, fc.Escalation.To, fc.Escalation.Attempted, fc.Escalation.ID,
		nullTime(fc.MessageAt), fc.ChoiceBy)
	if err != nil {
		return fmt.Errorf("saving first contact: %w", err)
	}
	return nil
}

// RecentFirstContacts implements bot.Recent.
func (d *DB) RecentFirstContacts(ctx context.Context, limit int) ([]bot.FirstContact, error) {
	return d.firstContacts(ctx, "listing first contacts", `SELECT `+readColumns+` FROM first_contacts ORDER BY created_at DESC LIMIT $1`, limit)
}

// firstContacts runs a query of firstContactColumns; what says what it
// does, in its error.
func (d *DB) firstContacts(ctx context.Context, what, query string, args ...any) ([]bot.FirstContact, error) {
	rows, err := d.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.FirstContact, error) { return scanFirstContact(row) })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// RecentDeadLetters implements bot.Recent.
func (d *DB) RecentDeadLetters(ctx context.Context, limit int) (int, []bot.SetAside, error) {
	var total int
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM dead_letters`).Scan(&total); err != nil {
		return 0, nil, fmt.Errorf("counting dead letters: %w", err)
	}
	rows, err := d.pool.Query(ctx, `SELECT instance, reason, received_at FROM dead_letters ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return 0, nil, fmt.Errorf("listing dead letters: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.SetAside, error) {
		var dl bot.SetAside
		err := row.Scan(&dl.Instance, &dl.Reason, &dl.ReceivedAt)
		return dl, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("listing dead letters: %w", err)
	}
	return total, out, nil
}
