// Package postgrestest gives tests an empty PostgreSQL schema of their own.
package postgrestest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
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
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		if os.Getenv("FRONTDESK_TEST_POSTGRES_REQUIRED") != "" {
			tb.Fatalf("PostgreSQL at FRONTDESK_TEST_POSTGRES: %v", err)
		}
		tb.Skipf("no PostgreSQL to test against (%v); set FRONTDESK_TEST_POSTGRES", err)
	}
	defer admin.Close(ctx)
	schema := fmt.Sprintf("frontdesk_test_%x", rand.Uint64())
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), ServerURL())
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			conn.Close(context.Background())
		}
	})
	u, err := url.Parse(ServerURL())
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
