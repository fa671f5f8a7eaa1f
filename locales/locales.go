// Package locales embeds the shipped translations, active.<lang>.toml,
// in the format of go-i18n's goi18n tool.
package locales

import "embed"

// Files holds every active.*.toml file of this directory.
//
//go:embed active.*.toml
var Files embed.FS
