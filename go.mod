module github.com/oddsflow/oddsflow

go 1.25

require github.com/shopspring/decimal v1.6.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/gorilla/websocket v1.5.3 // indirect
)
