// Command eventreceiver is the smallest receiver of Frontdesk's events: it
// checks each delivery's signature and handles each event once. Copy it
// into your own system; run it with
//
//	EVENTS_SECRET=… go run ./examples/eventreceiver   # listens on :8090
//
// and set EVENTS_URL=http://your-host:8090/frontdesk in Frontdesk.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	secret := os.Getenv("EVENTS_SECRET")
	http.Handle("/frontdesk", receiver(secret, func(e event) { log.Printf("%s %s: %s", e.Type, e.ChatID, e.Data) }))
	log.Fatal(http.ListenAndServe(":8090", nil))
}

type event struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	ChatID string          `json:"chat_id"`
	Data   json.RawMessage `json:"data"`
}

// receiver answers 2xx only once an event is handled: Frontdesk sends it
// again otherwise, for up to a day.
func receiver(secret string, handle func(event)) http.Handler {
	var mu sync.Mutex
	seen := map[string]bool{} // keep these in your database
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || !signed(secret, r.Header, body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e event
		if err := json.Unmarshal(body, &e); err != nil {
			http.Error(w, "not an event", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !seen[e.ID] { // a retry of an event already handled is answered 200 again
			handle(e)
			seen[e.ID] = true
		}
	})
}

// signed checks X-Frontdesk-Signature: "v1=" and the hex HMAC-SHA256 of
// the timestamp, a dot and the body; a timestamp older than 5 minutes is a
// replay.
func signed(secret string, h http.Header, body []byte) bool {
	ts, err := strconv.ParseInt(h.Get("X-Frontdesk-Timestamp"), 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return hmac.Equal([]byte(h.Get("X-Frontdesk-Signature")), []byte("v1="+hex.EncodeToString(mac.Sum(nil))))
}
