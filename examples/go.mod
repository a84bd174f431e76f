module github.com/oddsflow/oddsflow/examples

go 1.26.0

require (
	github.com/gorilla/websocket v1.5.3
	github.com/jackc/pgx/v5 v5.12.0
	github.com/oddsflow/oddsflow v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.23.0
	github.com/twmb/franz-go v1.22.2
	github.com/twmb/franz-go/pkg/kfake v0.0.0-20260918054303-01f206a7e32c
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.15.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/oddsflow/oddsflow/collect/kafkasource v0.0.0-00010101000000-000000000000
	github.com/oddsflow/oddsflow/sink/kafkasink v0.0.0-00010101000000-000000000000
	github.com/oddsflow/oddsflow/sink/redissink v0.0.0-00010101000000-000000000000
	github.com/oddsflow/oddsflow/sink/timescalesink v0.0.0-00010101000000-000000000000
	github.com/shopspring/decimal v1.6.0
	golang.org/x/sync v0.24.0
)
