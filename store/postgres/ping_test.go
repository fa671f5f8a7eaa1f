package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestPingChecksAWrite is issue #24 item 16's proof: /readyz says the
// database can be written, so Ping commits a write. A server that answers
// but refuses writes (here every transaction read-only, as on a standby
// or with default_transaction_read_only) fails it, naming why.
func TestPingChecksAWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := postgrestest.SchemaURL(t)
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping on a writable database: %v", err)
	}
	var checked int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM health WHERE checked_at > now() - interval '1 minute'`).Scan(&checked); err != nil || checked != 1 {
		t.Errorf("rows Ping wrote: %d, %v; want 1", checked, err)
	}

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	readOnly := &DB{pool: pool, wr: newWriter(pool)}
	defer readOnly.Close()
	if err := readOnly.pool.Ping(ctx); err != nil {
		t.Fatalf("the read-only server does not answer: %v", err)
	}
	err = readOnly.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "the database cannot be written") || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("Ping on a server that answers but refuses writes = %v; want it to say the database cannot be written", err)
	}
}
