module github.com/oddsflow/oddsflow

go 1.26.0

require github.com/shopspring/decimal v1.6.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
	golang.org/x/sync v0.24.0 // indirect
)
