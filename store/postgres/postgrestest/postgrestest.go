// Package postgrestest gives tests and the load tool an empty PostgreSQL
// schema of their own.
package postgrestest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ServerURL is the server the tests use: FRONTDESK_TEST_POSTGRES, by
// default the local server's test database.
func ServerURL() string {
	if u := os.Getenv("FRONTDESK_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// SchemaURL returns the URL of a new, empty schema on ServerURL, dropped
// when the test ends. Without a server the test is skipped, unless
// FRONTDESK_TEST_POSTGRES_REQUIRED is set (as .ci/run does): then it fails.
func SchemaURL(tb testing.TB) string {
	tb.Helper()
	u, drop, err := NewSchema(context.Background(), ServerURL(), "frontdesk_test")
	if err != nil {
		if os.Getenv("FRONTDESK_TEST_POSTGRES_REQUIRED") != "" {
			tb.Fatalf("PostgreSQL at FRONTDESK_TEST_POSTGRES: %v", err)
		}
		tb.Skipf("no PostgreSQL to test against (%v); set FRONTDESK_TEST_POSTGRES", err)
	}
	tb.Cleanup(drop)
	return u
}

// NewSchema creates an empty schema named prefix_<random> on the server at
// server and returns a URL that uses it (keeping server's parameters), and
// a function that drops it.
func NewSchema(ctx context.Context, server, prefix string) (string, func(), error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, err
	}
	admin := PlainURL(server)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("%s_%x", prefix, rand.Uint64())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		if conn, err := pgx.Connect(context.Background(), admin); err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			conn.Close(context.Background())
		}
	}
	return u.String(), drop, nil
}

// PlainURL is a PostgreSQL URL without pgxpool's own parameters
// (pool_max_conns…), which a single connection would send to the server.
func PlainURL(db string) string {
	u, err := url.Parse(db)
	if err != nil {
		return db
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
