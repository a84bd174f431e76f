module github.com/oddsflow/oddsflow/examples

go 1.26.0

require (
	github.com/gorilla/websocket v1.5.3
	github.com/oddsflow/oddsflow v0.0.0-00010101000000-000000000000
)

require (
	github.com/shopspring/decimal v1.6.0
	golang.org/x/sync v0.24.0 // indirect
)
