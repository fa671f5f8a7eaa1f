// Package sqlite implements bot.Store on an embedded SQLite database
// (modernc.org/sqlite, no cgo), in WAL mode with full synchronous commits so
// that a stored notification survives a crash or a power cut. Writes of
// concurrent callers share a commit (see writer); reads run in parallel on
// connections of their own.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/queue"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a bot.Store on SQLite.
type DB struct {
	db  *sql.DB // reads, on several connections
	wr  *writer // every write, on one connection
	wdb *sql.DB // the writer's connection

	getNotification *sql.Stmt // the hot read
}

var _ bot.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	path = strings.TrimPrefix(path, "file:")
	// One connection writes: SQLite has one writer anyway, and a single
	// connection turns lock contention into an orderly queue.
	wdb, err := open(path, 1, "journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)")
	if err != nil {
		return nil, err
	}
	d := &DB{wdb: wdb}
	if err := d.migrate(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	// Readers never write and, in WAL mode, never wait for the writer.
	if d.db, err = open(path, 2, "busy_timeout(10000)", "query_only(1)"); err != nil {
		wdb.Close()
		return nil, err
	}
	if d.getNotification, err = d.db.PrepareContext(ctx,
		`SELECT instance, chat_id, id_message, type_webhook, body, received_at, finished_at FROM notifications WHERE id = ?`); err == nil {
		d.wr, err = newWriter(ctx, wdb, writes...)
	}
	if err != nil {
		d.db.Close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return d, nil
}

func open(path string, conns int, pragmas ...string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// migrate applies the embedded migrations newer than PRAGMA user_version, in order.
func (d *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var version int
	if err := d.wdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
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
		tx, err := d.wdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(script)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// Close waits for the writes in progress and closes the database. Calls
// after the first do nothing.
func (d *DB) Close() error {
	d.wr.close()
	return errors.Join(d.getNotification.Close(), d.db.Close(), d.wdb.Close())
}

// Ping implements bot.Store: the database answers, and it can be written.
// While the last write failed for want of storage (a full disk, a file
// system turned read-only), Ping tries a write of its own, so that the
// readiness probe follows the disk both ways.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return err
	}
	if d.wr.lastFailure() == nil {
		return nil
	}
	err := d.wr.Do(ctx, func(tx *sql.Tx) error { return d.wr.exec(tx, qHealth, time.Now().UnixMilli()) })
	if err != nil {
		return fmt.Errorf("the database cannot be written: %w", err)
	}
	return nil
}

// AddNotification implements queue.Store.
func (d *DB) AddNotification(ctx context.Context, n queue.Notification) (int64, error) {
	var id int64
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		err := d.wr.queryRow(tx, qAddNotification, n.Instance, n.ChatID, n.IDMessage, n.TypeWebhook, n.Body, n.ReceivedAt.UnixMilli()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			id = 0 // a duplicate
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storing notification: %w", err)
	}
	return id, nil
}

// AddDeadLetter implements queue.Store.
func (d *DB) AddDeadLetter(ctx context.Context, instance string, body []byte, reason string, at time.Time) error {
	err := d.exec(ctx, qAddDeadLetter, instance, body, reason, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("storing dead letter: %w", err)
	}
	return nil
}

// PendingNotifications implements queue.Store.
func (d *DB) PendingNotifications(ctx context.Context, after int64, limit int) ([]queue.Notification, error) {
	rows, err := d.db.QueryContext(ctx, `
		SELECT id, instance, chat_id, id_message, type_webhook, received_at
		FROM notifications WHERE finished_at IS NULL AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("listing pending notifications: %w", err)
	}
	defer rows.Close()
	out := make([]queue.Notification, 0, min(limit, 1024))
	for rows.Next() {
		var (
			n  queue.Notification
			ms int64
		)
		if err := rows.Scan(&n.ID, &n.Instance, &n.ChatID, &n.IDMessage, &n.TypeWebhook, &ms); err != nil {
			return nil, err
		}
		n.ReceivedAt = time.UnixMilli(ms)
		out = append(out, n)
	}
	return out, rows.Err()
}

// GetNotification implements queue.Store.
func (d *DB) GetNotification(ctx context.Context, id int64) (queue.Notification, error) {
	n := queue.Notification{ID: id}
	var (
		ms       int64
		finished sql.NullInt64
	)
	err := d.getNotification.QueryRowContext(ctx, id).Scan(&n.Instance, &n.ChatID, &n.IDMessage, &n.TypeWebhook, &n.Body, &ms, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return n, bot.ErrNotFound
	}
	n.ReceivedAt, n.Finished = time.UnixMilli(ms), finished.Valid
	return n, err
}

// FinishNotification implements queue.Store.
func (d *DB) FinishNotification(ctx context.Context, id int64, at time.Time) error {
	return d.exec(ctx, qFinishNotification, at.UnixMilli(), id)
}

// PruneNotifications implements bot.Store.
func (d *DB) PruneNotifications(ctx context.Context, finishedBefore time.Time, limit int) (int, error) {
	var n int64
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(qPruneNotifications, finishedBefore.UnixMilli(), limit)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pruning finished notifications: %w", err)
	}
	return int(n), nil
}

// PruneContacts implements bot.Store.
func (d *DB) PruneContacts(ctx context.Context, before time.Time) (int, error) {
	var total int64
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		total = 0
		for _, q := range []string{
			`DELETE FROM profiles WHERE fetched_at < ?`,
			`DELETE FROM first_contacts WHERE step IN ('done', 'gave_up') AND updated_at < ?`,
			`DELETE FROM dead_letters WHERE received_at < ?`,
			`DELETE FROM events WHERE coalesce(delivered_at, dead_at) < ?`,
			`DELETE FROM chat_messages WHERE created_at < ?`,
		} {
			res, err := tx.Exec(q, before.UnixMilli())
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pruning contacts: %w", err)
	}
	return int(total), nil
}

// PruneChats implements bot.Store.
func (d *DB) PruneChats(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`
			DELETE FROM chats WHERE last_activity_at < ? AND NOT EXISTS (
				SELECT 1 FROM first_contacts f WHERE f.instance = chats.instance AND f.chat_id = chats.chat_id AND f.step NOT IN ('done', 'gave_up'))`, before.UnixMilli())
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pruning chats: %w", err)
	}
	return int(n), nil
}

// Forget implements bot.Store.
func (d *DB) Forget(ctx context.Context, chatID string) (bot.Forgotten, error) {
	var f bot.Forgotten
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		f = bot.Forgotten{}
		for _, step := range []struct {
			q     string
			count *int
		}{
			{`DELETE FROM profiles WHERE chat_id = ?`, &f.Profiles},
			{`DELETE FROM chats WHERE chat_id = ?`, &f.Chats},
			{`DELETE FROM first_contacts WHERE chat_id = ?`, &f.FirstContacts},
			{`DELETE FROM notifications WHERE chat_id = ?`, &f.Notifications},
			{`DELETE FROM events WHERE chat_id = ?`, &f.Events},
			{`DELETE FROM chat_messages WHERE chat_id = ?`, &f.ChatMessages},
			{`DELETE FROM dead_letters WHERE instr(CAST(body AS TEXT), ?) > 0`, &f.DeadLetters},
		} {
			res, err := tx.Exec(step.q, chatID)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			*step.count = int(n)
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
	rows, err := d.db.QueryContext(ctx, `SELECT id, instance, chat_id, id_message, type_webhook, body FROM notifications
		WHERE chat_id LIKE '%@lid' AND instr(CAST(body AS TEXT), ?) > 0 ORDER BY id`, text)
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

// CountPending implements queue.Store.
func (d *DB) CountPending(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE finished_at IS NULL`).Scan(&n)
	return n, err
}

// Instances returns the instances that rows of the database belong to
// ("" for rows kept before instances were told apart).
func (d *DB) Instances(ctx context.Context) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT instance FROM notifications UNION SELECT instance FROM chats
		UNION SELECT instance FROM first_contacts UNION SELECT instance FROM profiles ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("listing the instances of the rows: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// PendingOf implements queue.Store.
func (d *DB) PendingOf(ctx context.Context, instance string) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE finished_at IS NULL AND instance = ?`, instance).Scan(&n)
	return n, err
}

// AdoptUnassigned implements bot.Store: in one transaction, for a row
// whose key the instance holds already, the instance's row is kept.
func (d *DB) AdoptUnassigned(ctx context.Context, instance string) (int, error) {
	var total int64
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		total = 0
		for _, q := range []string{
			`UPDATE OR IGNORE notifications SET instance = ?1 WHERE instance = ''`,
			`UPDATE OR IGNORE chats SET instance = ?1 WHERE instance = ''`,
			`UPDATE OR IGNORE profiles SET instance = ?1 WHERE instance = ''`,
			`UPDATE OR IGNORE first_contacts SET instance = ?1 WHERE instance = ''`,
			`UPDATE events SET instance = ?1 WHERE instance = ''`,
			`UPDATE dead_letters SET instance = ?1 WHERE instance = ''`,
		} {
			res, err := tx.Exec(q, instance)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("adopting the rows of a single-instance Frontdesk: %w", err)
	}
	return int(total), nil
}

// AddEvent implements bot.Store.
func (d *DB) AddEvent(ctx context.Context, e bot.OutboxEvent) error {
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO events (id, instance, chat_id, body, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, e.ID, e.Instance, e.ChatID, e.Body, e.CreatedAt.UnixMilli(), e.CreatedAt.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("keeping event %s: %w", e.ID, err)
	}
	return nil
}

// DueEvents implements bot.Store.
func (d *DB) DueEvents(ctx context.Context, now time.Time, limit int) ([]bot.OutboxEvent, error) {
	rows, err := d.db.QueryContext(ctx, `
		SELECT seq, id, instance, chat_id, body, created_at, attempts FROM events e
		WHERE delivered_at IS NULL AND dead_at IS NULL AND next_at <= ?
		  AND NOT EXISTS (SELECT 1 FROM events o WHERE o.instance = e.instance AND o.chat_id = e.chat_id AND o.chat_id <> '' AND o.seq < e.seq
		                  AND o.delivered_at IS NULL AND o.dead_at IS NULL)
		ORDER BY seq LIMIT ?`, now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("listing due events: %w", err)
	}
	defer rows.Close()
	var out []bot.OutboxEvent
	for rows.Next() {
		var e bot.OutboxEvent
		var created int64
		if err := rows.Scan(&e.Seq, &e.ID, &e.Instance, &e.ChatID, &e.Body, &created, &e.Attempts); err != nil {
			return nil, fmt.Errorf("listing due events: %w", err)
		}
		e.CreatedAt = time.UnixMilli(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// SettleEvent implements bot.Store.
func (d *DB) SettleEvent(ctx context.Context, seq int64, s bot.EventSettlement) error {
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		var err error
		switch {
		case s.Delivered:
			_, err = tx.Exec(`UPDATE events SET delivered_at = ?, attempts = ?, last_error = '' WHERE seq = ?`, s.At.UnixMilli(), s.Attempts, seq)
		case s.Dead:
			_, err = tx.Exec(`UPDATE events SET dead_at = ?, attempts = ?, last_error = ? WHERE seq = ?`, s.At.UnixMilli(), s.Attempts, s.Err, seq)
		default:
			_, err = tx.Exec(`UPDATE events SET next_at = ?, attempts = ?, last_error = ? WHERE seq = ?`, s.NextAt.UnixMilli(), s.Attempts, s.Err, seq)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("recording event %d: %w", seq, err)
	}
	return nil
}

// CountEvents implements bot.Store.
func (d *DB) CountEvents(ctx context.Context) (waiting, dead int, err error) {
	err = d.db.QueryRowContext(ctx, `SELECT
		count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL),
		count(*) FILTER (WHERE dead_at IS NOT NULL) FROM events`).Scan(&waiting, &dead)
	return waiting, dead, err
}

// RecentFirstContacts implements bot.Recent.
func (d *DB) RecentFirstContacts(ctx context.Context, limit int) ([]bot.FirstContact, error) {
	return d.firstContacts(ctx, "listing first contacts", `SELECT `+readColumns+` FROM first_contacts ORDER BY created_at DESC LIMIT ?`, limit)
}

// firstContacts runs a query of firstContactColumns; what says what it
// does, in its error.
func (d *DB) firstContacts(ctx context.Context, what, query string, args ...any) ([]bot.FirstContact, error) {
	rows, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []bot.FirstContact
	for rows.Next() {
		fc, err := scanFirstContact(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, fc)
	}
	return out, rows.Err()
}

// RecentDeadLetters implements bot.Recent.
func (d *DB) RecentDeadLetters(ctx context.Context, limit int) (int, []bot.SetAside, error) {
	total, err := d.CountDeadLetters(ctx)
	if err != nil {
		return 0, nil, err
	}
	rows, err := d.db.QueryContext(ctx, `SELECT instance, reason, received_at FROM dead_letters ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return 0, nil, fmt.Errorf("listing dead letters: %w", err)
	}
	defer rows.Close()
	var out []bot.SetAside
	for rows.Next() {
		var (
			dl bot.SetAside
			ms int64
		)
		if err := rows.Scan(&dl.Instance, &dl.Reason, &ms); err != nil {
			return 0, nil, err
		}
		dl.ReceivedAt = time.UnixMilli(ms)
		out = append(out, dl)
	}
	return total, out, rows.Err()
}

// CountDeadLetters returns how many bodies were set aside.
func (d *DB) CountDeadLetters(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM dead_letters`).Scan(&n)
	return n, err
}

// CountNotifications returns how many notifications were ever stored.
func (d *DB) CountNotifications(ctx context.Context) (int, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM notifications`).Scan(&n)
	return n, err
}

// MarkKnown implements bot.Store.
func (d *DB) MarkKnown(ctx context.Context, instance, chatID string, at, humanUntil time.Time) error {
	return d.exec(ctx, qMarkKnown, instance, chatID, at.UnixMilli(), millis(humanUntil))
}

// millis is t in Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the time of Unix milliseconds, the zero time for 0.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// GetChat implements bot.Store.
func (d *DB) GetChat(ctx context.Context, instance, chatID string) (bot.ChatState, error) {
	var (
		st          bot.ChatState
		human, away int64
		optedOutSQL sql.NullInt64
	)
	err := d.db.QueryRowContext(ctx, `SELECT human_until, opted_out_at, away_until, locale, first_contact_msg, menu_waits FROM chats WHERE instance = ? AND chat_id = ?`, instance, chatID).
		Scan(&human, &optedOutSQL, &away, &st.Locale, &st.FirstContactMsg, &st.MenuWaits)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	st.HumanUntil, st.OptedOut, st.AwayUntil = fromMillis(human), fromMillis(optedOutSQL.Int64), fromMillis(away)
	return st, err
}

// SetMenuWaits implements bot.Store.
func (d *DB) SetMenuWaits(ctx context.Context, instance, chatID, idMessage string, waits bool) error {
	return d.exec(ctx, `UPDATE chats SET menu_waits = ? WHERE instance = ? AND chat_id = ? AND first_contact_msg = ?`, waits, instance, chatID, idMessage)
}

// SetLocale implements bot.Store.
func (d *DB) SetLocale(ctx context.Context, instance, chatID, locale string) error {
	return d.exec(ctx, `UPDATE chats SET locale = ? WHERE instance = ? AND chat_id = ?`, locale, instance, chatID)
}

// SetAwayUntil implements bot.Store.
func (d *DB) SetAwayUntil(ctx context.Context, instance, chatID string, until time.Time) error {
	return d.exec(ctx, `UPDATE chats SET away_until = max(away_until, ?) WHERE instance = ? AND chat_id = ?`, until.UnixMilli(), instance, chatID)
}

// SetOptedOut implements bot.Store.
func (d *DB) SetOptedOut(ctx context.Context, instance, chatID string, out bool, at time.Time) error {
	var v any // NULL: opted back in
	if out {
		v = at.UnixMilli()
	}
	return d.exec(ctx, `INSERT INTO chats (instance, chat_id, last_activity_at, opted_out_at) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (instance, chat_id) DO UPDATE SET opted_out_at = ?4`, instance, chatID, at.UnixMilli(), v)
}

// GetChatMessage implements bot.Store.
func (d *DB) GetChatMessage(ctx context.Context, instance, chatID, idMessage, kind string) (bot.ChatMessage, error) {
	m := bot.ChatMessage{Instance: instance, ChatID: chatID, IDMessage: idMessage, Kind: kind}
	var created int64
	var options string
	err := d.db.QueryRowContext(ctx, `SELECT text, attempted, sent_id, created_at, style, options, fallback FROM chat_messages
		WHERE instance = ? AND chat_id = ? AND id_message = ? AND kind = ?`, instance, chatID, idMessage, kind).
		Scan(&m.Out.Text, &m.Out.Attempted, &m.Out.ID, &created, &m.Out.Style, &options, &m.Out.Fallback)
	if errors.Is(err, sql.ErrNoRows) {
		return m, bot.ErrNotFound
	}
	if err == nil && options != "" {
		if err = json.Unmarshal([]byte(options), &m.Out.Options); err != nil {
			err = fmt.Errorf("reading the options of a chat message: %w", err)
		}
	}
	m.Out.To, m.CreatedAt = chatID, time.UnixMilli(created)
	return m, err
}

// SaveChatMessage implements bot.Store.
func (d *DB) SaveChatMessage(ctx context.Context, m bot.ChatMessage) error {
	options, err := optionsJSON(m.Out.Options)
	if err != nil {
		return err
	}
	return d.exec(ctx, `INSERT INTO chat_messages (instance, chat_id, id_message, kind, text, attempted, sent_id, created_at, style, options, fallback)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance, chat_id, id_message, kind) DO UPDATE SET attempted = excluded.attempted, sent_id = excluded.sent_id,
			text = excluded.text, style = excluded.style, options = excluded.options, fallback = excluded.fallback`,
		m.Instance, m.ChatID, m.IDMessage, m.Kind, m.Out.Text, m.Out.Attempted, m.Out.ID, m.CreatedAt.UnixMilli(), m.Out.Style, options, m.Out.Fallback)
}

// optionsJSON is a message's options as stored: a JSON array, "" for none.
func optionsJSON(options []string) (string, error) {
	if len(options) == 0 {
		return "", nil
	}
	b, err := json.Marshal(options)
	return string(b), err
}

// ClaimFirstContact implements bot.Store. The claim is one statement:
// SQLite evaluates every SET expression against the row as it was.
func (d *DB) ClaimFirstContact(ctx context.Context, instance, chatID, idMessage string, at time.Time, newAfter time.Duration) (bot.ChatState, error) {
	var (
		holder, locale string
		human, away    int64
		optedOut       sql.NullInt64
		menu           bool
	)
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		return d.wr.queryRow(tx, qClaimChat, chatID, at.UnixMilli(), idMessage, newAfter.Milliseconds(), instance).Scan(&holder, &human, &optedOut, &away, &locale, &menu)
	})
	if err != nil {
		return bot.ChatState{}, fmt.Errorf("claiming a first contact: %w", err)
	}
	return bot.ChatState{Claimed: holder == idMessage, HumanUntil: fromMillis(human), OptedOut: fromMillis(optedOut.Int64), AwayUntil: fromMillis(away),
		Locale: locale, FirstContactMsg: holder, MenuWaits: menu && holder != idMessage}, nil
}

// ClaimCallReply implements bot.Store.
func (d *DB) ClaimCallReply(ctx context.Context, instance, chatID, idMessage string, at time.Time, within time.Duration) (bool, error) {
	var claimed bool
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		claimed = false
		err := tx.QueryRowContext(ctx, `UPDATE chats SET call_reply_at = ?1, call_reply_msg = ?2
			WHERE instance = ?3 AND chat_id = ?4
				AND (call_reply_msg IN ('', ?2) OR (?5 > 0 AND call_reply_at <= ?1 - ?5))
			RETURNING 1`, at.UnixMilli(), idMessage, instance, chatID, within.Milliseconds()).Scan(new(int))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		claimed = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claiming the answer to a call: %w", err)
	}
	return claimed, nil
}

// MarkAnswered implements bot.Store.
func (d *DB) MarkAnswered(ctx context.Context, instance, chatID, sentID string, at time.Time, by string) (bot.FirstContact, bool, error) {
	var (
		fc               bot.FirstContact
		created, message int64
		first            bool
	)
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		first = false
		err := tx.QueryRowContext(ctx, `UPDATE first_contacts SET answered_at = ?1, answered_by = ?2, answered_msg = ?5
			WHERE instance = ?3 AND chat_id = ?4
				AND id_message = (SELECT first_contact_msg FROM chats WHERE instance = ?3 AND chat_id = ?4)
				AND (answered_at IS NULL OR answered_msg = ?5) AND message_at <= ?1 AND reply_id <> ?5 AND answer_id <> ?5
				AND NOT EXISTS (SELECT 1 FROM chat_messages m WHERE m.instance = ?3 AND m.chat_id = ?4 AND m.sent_id = ?5)
			RETURNING id_message, rule, choice, created_at, message_at`,
			at.UnixMilli(), by, instance, chatID, sentID).Scan(&fc.IDMessage, &fc.Rule, &fc.Choice, &created, &message)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		first = err == nil
		return err
	})
	if err != nil {
		return fc, false, fmt.Errorf("recording an answer: %w", err)
	}
	fc.Instance, fc.ChatID, fc.CreatedAt, fc.MessageAt, fc.AnsweredAt, fc.AnsweredBy = instance, chatID, fromMillis(created), fromMillis(message), at, by
	return fc, first, nil
}

// DueRatings implements bot.Store.
func (d *DB) DueRatings(ctx context.Context, instance string, idleBefore, answeredAfter time.Time, limit int) ([]bot.FirstContact, error) {
	return d.firstContacts(ctx, "listing the follow-up questions that are due", `SELECT `+readColumns+` FROM first_contacts f
		WHERE instance = ?1 AND rating_asked_at = 0 AND answered_by IN ('phone', 'api') AND answered_at > ?3
			AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message
				AND c.last_activity_at <= ?2 AND c.opted_out_at IS NULL)
		ORDER BY answered_at LIMIT ?4`, instance, idleBefore.UnixMilli(), answeredAfter.UnixMilli(), limit)
}

// SetRatingAsked implements bot.Store.
func (d *DB) SetRatingAsked(ctx context.Context, instance, chatID, idMessage string, at time.Time) error {
	return d.exec(ctx, `UPDATE first_contacts SET rating_asked_at = ? WHERE instance = ? AND chat_id = ? AND id_message = ? AND rating_asked_at = 0`,
		at.UnixMilli(), instance, chatID, idMessage)
}

// SetRating implements bot.Store.
func (d *DB) SetRating(ctx context.Context, instance, chatID, idMessage string, rating int, vote string, at time.Time) (bool, error) {
	var n int64
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE first_contacts SET rating = ?1, rated_at = ?2, rated_msg = ?6
			WHERE instance = ?3 AND chat_id = ?4 AND id_message = ?5 AND (rating = 0 OR rated_msg = ?6)`,
			rating, at.UnixMilli(), instance, chatID, idMessage, vote)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("recording a rating: %w", err)
	}
	return n > 0, nil
}

// SetAnswerChanged implements bot.Store.
func (d *DB) SetAnswerChanged(ctx context.Context, instance, chatID, idMessage, to string, at time.Time) error {
	return d.exec(ctx, `UPDATE first_contacts SET changed_to = ?, changed_at = ? WHERE instance = ? AND chat_id = ? AND id_message = ?`,
		to, at.UnixMilli(), instance, chatID, idMessage)
}

// FirstContactBySent implements bot.Store.
func (d *DB) FirstContactBySent(ctx context.Context, instance, sentID string) (bot.FirstContact, error) {
	fc, err := scanFirstContact(d.db.QueryRowContext(ctx, qFirstContactBySent, instance, sentID))
	if errors.Is(err, sql.ErrNoRows) {
		return fc, bot.ErrNotFound
	}
	return fc, err
}

// qFirstContactBySent finds a first contact by a message it sent: each
// term is one of the three partial indexes, whole (its columns and its
// condition), so that they serve it and not the primary key's instance.
const qFirstContactBySent = `SELECT ` + readColumns + ` FROM first_contacts
	WHERE (instance = ?1 AND summary_id = ?2 AND summary_id <> '') OR (instance = ?1 AND reminder_id = ?2 AND reminder_id <> '')
		OR (instance = ?1 AND escalation_id = ?2 AND escalation_id <> '') LIMIT 1`

// SummaryUnsettled implements bot.Store.
func (d *DB) SummaryUnsettled(ctx context.Context, instance, chatID string) (bool, error) {
	var n int
	err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM first_contacts
		WHERE instance = ? AND summary_to = ? AND summary_attempted <> 0 AND summary_id = '' LIMIT 1)`, instance, chatID).Scan(&n)
	return n > 0, err
}

// TakeFirstContact implements bot.Store: SQLite evaluates every SET
// expression against the row as it was.
func (d *DB) TakeFirstContact(ctx context.Context, instance, chatID, idMessage string, c bot.Claim, remindAt, escalateAt time.Time) (bot.FirstContact, error) {
	err := d.wr.Do(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE first_contacts SET claimed_by = ?4, claimed_phone = ?5, claim_msg = ?6, claimed_at = ?7,
				remind_at = CASE WHEN remind_at > 0 AND reminder_id = '' AND NOT reminder_attempted THEN max(remind_at, ?8) ELSE remind_at END,
				escalate_at = CASE WHEN escalate_at > 0 AND escalation_id = '' AND NOT escalation_attempted THEN max(escalate_at, ?9) ELSE escalate_at END
			WHERE instance = ?1 AND chat_id = ?2 AND id_message = ?3 AND claim_msg = ''`,
			instance, chatID, idMessage, c.By, c.Phone, c.Msg, c.At.UnixMilli(), millis(remindAt), millis(escalateAt))
		return err
	})
	if err != nil {
		return bot.FirstContact{}, fmt.Errorf("recording a claim: %w", err)
	}
	return d.GetFirstContact(ctx, instance, chatID, idMessage)
}

// SetAnswerWait implements bot.Store.
func (d *DB) SetAnswerWait(ctx context.Context, instance, chatID, idMessage string, waited time.Duration) error {
	return d.exec(ctx, `UPDATE first_contacts SET answer_wait_ms = ? WHERE instance = ? AND chat_id = ? AND id_message = ?`,
		waited.Milliseconds(), instance, chatID, idMessage)
}

// WaitingForAnswer implements bot.Recent.
func (d *DB) WaitingForAnswer(ctx context.Context, limit int) ([]bot.FirstContact, error) {
	return d.firstContacts(ctx, "listing the contacts waiting for an answer", `SELECT `+readColumns+` FROM first_contacts f
		WHERE answered_at IS NULL AND summary_id <> '' AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message)
		ORDER BY created_at LIMIT ?`, limit)
}

// waitingWhere picks the routed first contacts of instance ?1 still
// waiting for a person: unanswered, and their chat's current one.
const waitingWhere = `instance = ?1 AND answered_at IS NULL AND summary_id <> ''
	AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message)`

// DayFigures implements bot.Store.
func (d *DB) DayFigures(ctx context.Context, instance string, since time.Time, limit int) (bot.DayFigures, error) {
	var f bot.DayFigures
	rows, err := d.db.QueryContext(ctx, `SELECT answered_at IS NOT NULL, answer_wait_ms FROM first_contacts WHERE instance = ? AND created_at >= ?`,
		instance, since.UnixMilli())
	if err != nil {
		return f, fmt.Errorf("reading the day's first contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			answered bool
			ms       int64
		)
		if err := rows.Scan(&answered, &ms); err != nil {
			return f, err
		}
		f.Contacts++
		if answered {
			f.Answered = append(f.Answered, time.Duration(ms)*time.Millisecond)
		}
	}
	if err := rows.Err(); err != nil {
		return f, err
	}
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM first_contacts f WHERE `+waitingWhere, instance).Scan(&f.WaitingTotal); err != nil {
		return f, fmt.Errorf("counting the contacts waiting for an answer: %w", err)
	}
	f.Waiting, err = d.firstContacts(ctx, "listing the contacts waiting for an answer", `SELECT `+readColumns+` FROM first_contacts f WHERE `+waitingWhere+`
		ORDER BY created_at LIMIT ?2`, instance, limit)
	return f, err
}

// AnswerTimes implements bot.Recent.
func (d *DB) AnswerTimes(ctx context.Context, since time.Time) ([]bot.AnswerTime, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT rule, claimed_by, answer_wait_ms, rating FROM first_contacts WHERE answered_at >= ?`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("reading the times to answer: %w", err)
	}
	defer rows.Close()
	var out []bot.AnswerTime
	for rows.Next() {
		var a bot.AnswerTime
		var ms int64
		if err := rows.Scan(&a.Rule, &a.Operator, &ms, &a.Rating); err != nil {
			return nil, err
		}
		a.Waited = time.Duration(ms) * time.Millisecond
		out = append(out, a)
	}
	return out, rows.Err()
}

// ReleaseFirstContact implements bot.Store.
func (d *DB) ReleaseFirstContact(ctx context.Context, instance, chatID, idMessage string) error {
	return d.exec(ctx, `DELETE FROM chats WHERE instance = ? AND chat_id = ? AND first_contact_msg = ?
		AND human_until = 0 AND opted_out_at IS NULL`, instance, chatID, idMessage)
}

// GetProfile implements bot.Store.
func (d *DB) GetProfile(ctx context.Context, instance, chatID string) (bot.Profile, error) {
	p := bot.Profile{Instance: instance, ChatID: chatID}
	var (
		info string
		ms   int64
	)
	err := d.db.QueryRowContext(ctx, `SELECT info, fetched_at FROM profiles WHERE instance = ? AND chat_id = ?`, instance, chatID).Scan(&info, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return p, bot.ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.FetchedAt = time.UnixMilli(ms)
	return p, json.Unmarshal([]byte(info), &p.Info)
}

// SaveProfile implements bot.Store.
func (d *DB) SaveProfile(ctx context.Context, p bot.Profile) error {
	info, err := json.Marshal(p.Info)
	if err != nil {
		return err
	}
	return d.exec(ctx, qSaveProfile, p.Instance, p.ChatID, string(info), p.FetchedAt.UnixMilli())
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
func scanFirstContact(row interface{ Scan(...any) error }) (bot.FirstContact, error) {
	var (
		fc                      bot.FirstContact
		until, created, updated int64
		remind, escalate        int64
		message, claimed        int64
		changed, asked          int64
		answered                sql.NullInt64
		step                    string
	)
	err := row.Scan(&fc.Instance, &fc.ChatID, &fc.IDMessage, &step, &fc.Rule, &fc.Tag, &fc.Locale, &fc.Reply.Text, &fc.Reply.Attempted, &fc.Reply.ID,
		&fc.Summary.Text, &fc.Summary.To, &fc.Summary.Attempted, &fc.Summary.ID, &fc.Degraded, &fc.Skipped, &fc.Reply.FileURL, &fc.Reply.FileName, &fc.Reply.TypingMS,
		&until, &fc.Choice, &fc.ChoiceMsg, &fc.Answer.Text, &fc.Answer.Attempted, &fc.Answer.ID, &created, &updated,
		&remind, &fc.Reminder.Text, &fc.Reminder.To, &fc.Reminder.Attempted, &fc.Reminder.ID,
		&escalate, &fc.Escalation.Text, &fc.Escalation.To, &fc.Escalation.Attempted, &fc.Escalation.ID,
		&message, &fc.ChoiceBy, &answered, &fc.AnsweredBy, &fc.Claim.By, &fc.Claim.Phone, &fc.Claim.Msg, &claimed, &fc.ChangedTo, &changed, &asked, &fc.Rating)
	fc.Step, fc.ChoiceUntil, fc.CreatedAt, fc.UpdatedAt = bot.Step(step), fromMillis(until), time.UnixMilli(created), time.UnixMilli(updated)
	fc.RemindAt, fc.EscalateAt, fc.AnsweredAt, fc.MessageAt = fromMillis(remind), fromMillis(escalate), fromMillis(answered.Int64), fromMillis(message)
	fc.Claim.At, fc.ChangedAt, fc.RatingAskedAt = fromMillis(claimed), fromMillis(changed), fromMillis(asked)
	return fc, err
}

// The writes, prepared once on the writer's connection.
const (
	qAddNotification = `
		INSERT INTO notifications (instance, chat_id, id_message, type_webhook, body, received_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance, chat_id, id_message) DO NOTHING
		RETURNING id`
	qAddDeadLetter      = `INSERT INTO dead_letters (instance, body, reason, received_at) VALUES (?, ?, ?, ?)`
	qHealth             = `INSERT INTO health (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`
	qFinishNotification = `UPDATE notifications SET finished_at = ? WHERE id = ?`
	// qPruneNotifications walks the oldest ids first: those are the ones
	// finished long ago, so a batch finds its rows near the start.
	qPruneNotifications = `
		DELETE FROM notifications WHERE id IN (
			SELECT id FROM notifications WHERE finished_at < ? ORDER BY id LIMIT ?)`
	qMarkKnown = `
		INSERT INTO chats (instance, chat_id, last_activity_at, human_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (instance, chat_id) DO UPDATE SET last_activity_at = max(last_activity_at, excluded.last_activity_at),
			human_until = max(human_until, excluded.human_until)`
	// qClaimChat is the atomic first-contact claim: SQLite evaluates every
	// SET expression against the row as it was.
	qClaimChat = `
		INSERT INTO chats (instance, chat_id, last_activity_at, first_contact_msg) VALUES (?5, ?1, ?2, ?3)
		ON CONFLICT (instance, chat_id) DO UPDATE SET
			first_contact_msg = CASE
				WHEN ?4 > 0 AND chats.last_activity_at < ?2 - ?4 THEN excluded.first_contact_msg
				ELSE chats.first_contact_msg END,
			last_activity_at = max(chats.last_activity_at, excluded.last_activity_at)
		RETURNING first_contact_msg, human_until, opted_out_at, away_until, locale, menu_waits`
	qSaveProfile = `
		INSERT INTO profiles (instance, chat_id, info, fetched_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (instance, chat_id) DO UPDATE SET info = excluded.info, fetched_at = excluded.fetched_at`
	qSaveFirstContact = `
		INSERT INTO first_contacts (` + firstContactColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
			remind_at = CASE WHEN first_contacts.claimed_at > 0 THEN max(first_contacts.remind_at, excluded.remind_at) ELSE excluded.remind_at END,
			reminder = excluded.reminder, reminder_to = excluded.reminder_to,
			reminder_attempted = excluded.reminder_attempted, reminder_id = excluded.reminder_id,
			escalate_at = CASE WHEN first_contacts.claimed_at > 0 THEN max(first_contacts.escalate_at, excluded.escalate_at) ELSE excluded.escalate_at END,
			escalation = excluded.escalation, escalation_to = excluded.escalation_to,
			escalation_attempted = excluded.escalation_attempted, escalation_id = excluded.escalation_id,
			message_at = excluded.message_at, choice_by = excluded.choice_by`
)

var writes = []string{qHealth, qAddNotification, qAddDeadLetter, qFinishNotification, qMarkKnown, qClaimChat, qSaveProfile, qSaveFirstContact}

// GetFirstContact implements bot.Store.
func (d *DB) GetFirstContact(ctx context.Context, instance, chatID, idMessage string) (bot.FirstContact, error) {
	fc, err := scanFirstContact(d.db.QueryRowContext(ctx, `SELECT `+readColumns+` FROM first_contacts WHERE instance = ? AND chat_id = ? AND id_message = ?`,
		instance, chatID, idMessage))
	if errors.Is(err, sql.ErrNoRows) {
		return fc, bot.ErrNotFound
	}
	return fc, err
}

// DueChoices implements bot.Store.
func (d *DB) DueChoices(ctx context.Context, now time.Time, instances []string, limit int) ([]bot.FirstContact, error) {
	list, err := json.Marshal(instances)
	if err != nil {
		return nil, err
	}
	return d.firstContacts(ctx, "listing the menus whose wait ended", `SELECT `+readColumns+` FROM first_contacts f
		WHERE step = 'choosing' AND choice_until <= ? AND instance IN (SELECT value FROM json_each(?)) AND NOT EXISTS (
			SELECT 1 FROM notifications n WHERE n.instance = f.instance AND n.chat_id = f.chat_id AND n.id_message = ? || f.id_message)
		ORDER BY choice_until LIMIT ?`, now.UnixMilli(), string(list), bot.ChoiceWaitPrefix, limit)
}

// DueReminders implements bot.Store.
func (d *DB) DueReminders(ctx context.Context, kind string, now time.Time, instances []string, limit int) ([]bot.FirstContact, error) {
	c, ok := reminderColumns[kind]
	if !ok {
		return nil, fmt.Errorf("no reminder kind %q", kind)
	}
	list, err := json.Marshal(instances)
	if err != nil {
		return nil, err
	}
	return d.firstContacts(ctx, "listing the reminders that are due", `SELECT `+readColumns+` FROM first_contacts f
		WHERE answered_at IS NULL AND `+c.out+`_to <> '' AND `+c.out+`_id = '' AND `+c.at+` > 0 AND `+c.at+` <= ?
			AND instance IN (SELECT value FROM json_each(?)) AND NOT EXISTS (
			SELECT 1 FROM notifications n WHERE n.instance = f.instance AND n.chat_id = f.chat_id
				AND n.id_message = ? || f.id_message || CASE WHEN f.claim_msg <> '' THEN ? ELSE '' END)
		AND EXISTS (SELECT 1 FROM chats c WHERE c.instance = f.instance AND c.chat_id = f.chat_id AND c.first_contact_msg = f.id_message)
		ORDER BY `+c.at+` LIMIT ?`, now.UnixMilli(), string(list), kind+":", bot.ClaimedSuffix, limit)
}

// reminderColumns names, by kind of reminder, its message's columns and
// its due time's.
var reminderColumns = map[string]struct{ out, at string }{
	bot.KindReminder:   {"reminder", "remind_at"},
	bot.KindEscalation: {"escalation", "escalate_at"},
}

// EndOrphanChoices implements bot.Store.
func (d *DB) EndOrphanChoices(ctx context.Context, before time.Time, instances []string, at time.Time) (int, error) {
	list, err := json.Marshal(instances)
	if err != nil {
		return 0, err
	}
	var n int64
	err = d.wr.Do(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE first_contacts SET step = 'gave_up', skipped = ?, updated_at = ?
			WHERE step = 'choosing' AND choice_until < ? AND instance NOT IN (SELECT value FROM json_each(?))`,
			bot.SkippedRemoved, at.UnixMilli(), before.UnixMilli(), string(list))
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("ending the menus of numbers no longer served: %w", err)
	}
	return int(n), nil
}

// SaveFirstContact implements bot.Store.
func (d *DB) SaveFirstContact(ctx context.Context, fc bot.FirstContact) error {
	err := d.exec(ctx, qSaveFirstContact,
		fc.Instance, fc.ChatID, fc.IDMessage, string(fc.Step), fc.Rule, fc.Tag, fc.Locale, fc.Reply.Text, fc.Reply.Attempted, fc.Reply.ID,
		fc.Summary.Text, fc.Summary.To, fc.Summary.Attempted, fc.Summary.ID, fc.Degraded, fc.Skipped, fc.Reply.FileURL, fc.Reply.FileName, fc.Reply.TypingMS,
		millis(fc.ChoiceUntil), fc.Choice, fc.ChoiceMsg, fc.Answer.Text, fc.Answer.Attempted, fc.Answer.ID, fc.CreatedAt.UnixMilli(), fc.UpdatedAt.UnixMilli(),
		millis(fc.RemindAt), fc.Reminder.Text, fc.Reminder.To, fc.Reminder.Attempted, fc.Reminder.ID,
		millis(fc.EscalateAt), fc.Escalation.Text, fc.Escalation.To, fc.Escalation.Attempted, fc.Escalation.ID,
		millis(fc.MessageAt), fc.ChoiceBy)
	if err != nil {
		return fmt.Errorf("saving first contact: %w", err)
	}
	return nil
}

// exec runs one write statement through the writer.
func (d *DB) exec(ctx context.Context, query string, args ...any) error {
	return d.wr.Do(ctx, func(tx *sql.Tx) error { return d.wr.exec(tx, query, args...) })
}
