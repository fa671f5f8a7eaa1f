package greenapi

import (
	"encoding/json"
	"strings"
)

// Chat id suffixes as WhatsApp writes them.
const (
	suffixPersonal   = "@c.us"
	suffixLID        = "@lid"
	suffixGroup      = "@g.us"
	suffixNewsletter = "@newsletter"
	chatBroadcast    = "status@broadcast"
)

// IsPersonalChat reports whether chatID is a one-to-one chat with a person
// (`…@c.us` or `…@lid`), as opposed to a group, a broadcast or a channel.
func IsPersonalChat(chatID string) bool {
	if chatID == chatBroadcast {
		return false
	}
	return hasUser(chatID, suffixPersonal) || hasUser(chatID, suffixLID)
}

// IsLID reports whether chatID is a personal chat named by its WhatsApp
// "linked id" (`120650379300963@lid`), which carries no phone number.
func IsLID(chatID string) bool {
	user, ok := strings.CutSuffix(chatID, suffixLID)
	return ok && user != "" && allDigits(user)
}

// IsGroupChat reports whether chatID is a group (`…@g.us`).
func IsGroupChat(chatID string) bool { return hasUser(chatID, suffixGroup) }

// PhoneOf returns the phone number digits of a personal `…@c.us` chat id, and
// false for any other id: `@lid` ids carry no phone number (SenderData.Phone
// reads the one a notification may carry beside it).
func PhoneOf(chatID string) (string, bool) {
	user, ok := strings.CutSuffix(chatID, suffixPersonal)
	if !ok || user == "" || !allDigits(user) {
		return "", false
	}
	return user, true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func hasUser(chatID, suffix string) bool {
	return len(chatID) > len(suffix) && strings.HasSuffix(chatID, suffix)
}

// PhoneNumber is senderData.senderPhoneNumber: Green API's examples send a
// number (79991112233), a string is read as well; the digits are kept as
// written.
type PhoneNumber string

// UnmarshalJSON reads a number, a string or null. Any other value reads as
// no number rather than failing: the field is an extra, and a message must
// not be lost over it.
func (p *PhoneNumber) UnmarshalJSON(b []byte) error {
	*p = ""
	var s string
	switch {
	case json.Unmarshal(b, &s) == nil:
		*p = PhoneNumber(s)
	case len(b) > 0 && b[0] >= '0' && b[0] <= '9':
		var n json.Number
		if json.Unmarshal(b, &n) == nil {
			*p = PhoneNumber(n)
		}
	}
	return nil
}

// Phone returns the digits of the sender's phone number with its country
// code: a personal `…@c.us` chat's own, or for an `…@lid` chat the
// senderPhoneNumber that came with it. It returns false when neither
// gives a number (an `@lid` chat without the field, a group).
func (s SenderData) Phone() (string, bool) {
	if digits, ok := PhoneOf(s.ChatID); ok {
		return digits, true
	}
	if !IsLID(s.ChatID) {
		return "", false
	}
	digits := strings.TrimPrefix(strings.TrimSpace(string(s.SenderPhoneNumber)), "+")
	digits = strings.TrimSuffix(digits, suffixPersonal)
	if len(digits) < minPhoneDigits || len(digits) > maxPhoneDigits || !allDigits(digits) {
		return "", false
	}
	return digits, true
}

// The length of a phone number with its country code (E.164: at most 15).
const (
	minPhoneDigits = 7
	maxPhoneDigits = 15
)
