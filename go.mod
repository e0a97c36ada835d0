module github.com/bankfeed/bankfeed

go 1.26.8

require (
	github.com/riverqueue/river v0.51.1 // durable, unique, retryable sync jobs on SQLite now and PostgreSQL later (internal/jobs)
	github.com/riverqueue/river/riverdriver/riversqlite v0.51.1 // River's driver for database/sql over SQLite
	github.com/riverqueue/river/rivertype v0.51.1 // River's job types, a module of its own
	github.com/spf13/cobra v1.10.2
	modernc.org/sqlite v1.62.0 // SQLite without cgo: one static binary, and the store's default engine
)

require (
	github.com/google/go-cmp v0.7.0
	golang.org/x/crypto v0.58.0 // XChaCha20-Poly1305 for secrets at rest (internal/secret); maintained by the Go team
	golang.org/x/text v0.43.0
)

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/prometheus/client_golang v1.25.0 // indirect
	github.com/prometheus/client_model v0.6.3 // indirect
	github.com/prometheus/common v0.72.0 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/riverqueue/river/riverdriver v0.51.1 // indirect
	github.com/riverqueue/river/rivershared v0.51.1 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	github.com/tidwall/gjson v1.20.0 // indirect
	github.com/tidwall/match v1.2.0 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)
