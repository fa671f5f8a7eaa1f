package greenapi

import "strings"

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

// IsGroupChat reports whether chatID is a group (`…@g.us`).
func IsGroupChat(chatID string) bool { return hasUser(chatID, suffixGroup) }

// PhoneOf returns the phone number digits of a personal `…@c.us` chat id, and
// false for any other id: `@lid` ids carry no phone number.
func PhoneOf(chatID string) (string, bool) {
	user, ok := strings.CutSuffix(chatID, suffixPersonal)
	if !ok || user == "" {
		return "", false
	}
	for _, r := range user {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return user, true
}

func hasUser(chatID, suffix string) bool {
	return len(chatID) > len(suffix) && strings.HasSuffix(chatID, suffix)
}
