module github.com/oddsflow/oddsflow

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/gorilla/websocket v1.5.3
	github.com/shopspring/decimal v1.6.0
	golang.org/x/sync v0.24.0
)
