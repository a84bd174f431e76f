module github.com/oddsflow/oddsflow/examples

go 1.25

require github.com/oddsflow/oddsflow v0.0.0-00010101000000-000000000000

require github.com/shopspring/decimal v1.6.0 // indirect
