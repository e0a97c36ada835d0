package main

// The own accounts of the simulated business, as feed account ids.
const (
	checking int64 = 1
	savings  int64 = 2
	card     int64 = 3
)

// accounts lists the own accounts in a fixed order.
var accounts = []int64{checking, savings, card}

// accountNames are the ledger accounts the feeds belong to.
var accountNames = map[int64]string{
	checking: "Assets:Bank:Checking",
	savings:  "Assets:Bank:Savings",
	card:     "Liabilities:Card",
}

// accountName is what a rules.Labeler asks to name an account.
func accountName(id int64) string { return accountNames[id] }

// A payee of the pool: how the bookkeeper calls it, its category, and the
// ways banks write it. In texts, %s is a store or reference number and %m
// a card mask.
type payee struct {
	name     string // the bookkeeper's spelling
	category string
	texts    []string
	account  int64 // where its purchases land
	min, max int64 // amount range, minor units
	prices   []int64
	weight   int
	tips     bool  // a restaurant or a ride: the posted amount may add a tip
	fee      int64 // the bank's fee on top of what the person took (an ATM)
	refs     bool  // %s is the purchase's own reference (an order, a ride), not a store
}

// shops are bought from at random, weighted.
var shops = []payee{
	{name: "Whole Foods", category: "Expenses:Groceries", account: card, min: 1200, max: 18000, weight: 8,
		texts: []string{"WHOLEFDS MKT #%s", "WHOLE FOODS MARKET %s SAN FRANCISCO CA", "WHOLEFDS SFO %s"}},
	{name: "Trader Joe's", category: "Expenses:Groceries", account: card, min: 900, max: 9000, weight: 6,
		texts: []string{"TRADER JOE S #%s", "TRADER JOES %s QPS", "TRADER JOE'S #%s SAN FRANCISCO"}},
	{name: "Safeway", category: "Expenses:Groceries", account: checking, min: 800, max: 12000, weight: 4,
		texts: []string{"POS DEBIT SAFEWAY #%s", "SAFEWAY STORE %s %m", "POS DEBIT SAFEWAY STORE %s"}},
	{name: "Costco", category: "Expenses:Groceries", account: checking, min: 4000, max: 40000, weight: 2,
		texts: []string{"POS DEBIT COSTCO WHSE #%s", "COSTCO WHSE %s %m"}},
	{name: "Blue Bottle", category: "Expenses:Meals", account: card, prices: []int64{450, 525, 600, 975}, weight: 7, tips: true,
		texts: []string{"SQ *BLUE BOTTLE COFFEE", "SQ *BLUE BOTTLE COFFEE %s", "SQ *BLUE BOTTLE"}},
	{name: "Starbucks", category: "Expenses:Meals", account: card, prices: []int64{395, 475, 545, 650}, weight: 6,
		texts: []string{"STARBUCKS STORE %s", "STARBUCKS %s SEATTLE WA"}},
	{name: "Tartine", category: "Expenses:Meals", account: card, min: 1400, max: 6500, weight: 3, tips: true,
		texts: []string{"SQ *TARTINE BAKERY", "SQ *TARTINE MANUFACTORY %s"}},
	{name: "Nopa", category: "Expenses:Meals", account: card, min: 4500, max: 22000, weight: 2, tips: true,
		texts: []string{"NOPA RESTAURANT", "TST* NOPA %s", "NOPA SAN FRANCISCO CA"}},
	{name: "Chipotle", category: "Expenses:Meals", account: card, prices: []int64{1095, 1245, 1390, 2480}, weight: 3,
		texts: []string{"CHIPOTLE %s", "CHIPOTLE ONLINE", "CHIPOTLE MEXICAN GRILL %s"}},
	{name: "Shell", category: "Expenses:Auto:Fuel", account: card, min: 2500, max: 8500, weight: 4,
		texts: []string{"SHELL OIL %s", "CHECKCARD SHELL OIL %s %m", "SHELL SERVICE STATION %s"}},
	{name: "Chevron", category: "Expenses:Auto:Fuel", account: checking, min: 2500, max: 8000, weight: 3,
		texts: []string{"POS DEBIT CHEVRON %s", "CHEVRON 00%s %m"}},
	{name: "Amazon", refs: true, category: "Expenses:Supplies", account: card, min: 899, max: 25000, weight: 7,
		texts: []string{"AMAZON MKTPL*%s", "AMZN MKTP US*%s", "AMAZON.COM*%s AMZN.COM/BILL WA"}},
	{name: "Target", category: "Expenses:Supplies", account: card, min: 1500, max: 15000, weight: 3,
		texts: []string{"TARGET %s", "TARGET T-%s SAN FRANCISCO"}},
	{name: "Home Depot", category: "Expenses:Repairs", account: card, min: 1200, max: 45000, weight: 3,
		texts: []string{"THE HOME DEPOT #%s", "HOME DEPOT %s %m"}},
	{name: "CVS", category: "Expenses:Health", account: card, min: 500, max: 6000, weight: 2,
		texts: []string{"CVS/PHARMACY #%s", "CVS PHARMACY %s"}},
	{name: "Uber", refs: true, category: "Expenses:Travel", account: card, min: 900, max: 6500, weight: 4, tips: true,
		texts: []string{"UBER *TRIP", "UBER *TRIP HELP.UBER.COM", "UBER   *TRIP %s"}},
	{name: "Lyft", refs: true, category: "Expenses:Travel", account: card, min: 800, max: 5000, weight: 2,
		texts: []string{"LYFT *RIDE %s", "LYFT   *RIDE SAT %s"}},
	{name: "Office Depot", category: "Expenses:Office", account: card, min: 1000, max: 30000, weight: 3,
		texts: []string{"OFFICE DEPOT #%s", "OFFICEDEPOT.COM %s"}},
	{name: "Staples", category: "Expenses:Office", account: checking, min: 800, max: 20000, weight: 2,
		texts: []string{"POS DEBIT STAPLES %s", "STAPLES %s %m"}},
	{name: "Cash", category: "Expenses:Petty Cash", account: checking, prices: []int64{4000, 6000, 10000, 20000}, weight: 2, fee: 300,
		texts: []string{"ATM WITHDRAWAL %s MAIN ST", "ATM W/D %s %m", "NON-CHASE ATM WITHDRAW %s"}},
}

// A bill recurs on a day of the month, or every period days from first.
type bill struct {
	payee
	dom    int // day of the month, 0 with every
	every  int
	first  int
	income bool
}

// bills recur: rent, utilities, subscriptions, insurance, payroll, interest.
var bills = []bill{
	{payee: payee{name: "Oak Street Properties", category: "Expenses:Rent", account: checking, prices: []int64{215000},
		texts: []string{"ONLINE PMT OAK STREET PROPERTIES", "OAK STREET PROP DES:RENT ID:%s"}}, dom: 1},
	{payee: payee{name: "PG&E", category: "Expenses:Utilities", account: checking, min: 8000, max: 22000,
		texts: []string{"PGANDE WEB ONLINE", "PG&E DES:WEB ONLINE ID:%s"}}, dom: 12},
	{payee: payee{name: "Comcast", category: "Expenses:Internet", account: card, prices: []int64{8999},
		texts: []string{"COMCAST CABLE COMM", "COMCAST CALIFORNIA %s"}}, dom: 18},
	{payee: payee{name: "Verizon", category: "Expenses:Phone", account: card, prices: []int64{6500},
		texts: []string{"VZWRLSS*APOCC VISB", "VERIZON WRLS %s"}}, dom: 22},
	{payee: payee{name: "Adobe", category: "Expenses:Software", account: card, prices: []int64{5999},
		texts: []string{"ADOBE *CREATIVE CLD", "ADOBE *%s ADOBE.LY/ENUS"}}, dom: 5},
	{payee: payee{name: "GitHub", category: "Expenses:Software", account: card, prices: []int64{2100},
		texts: []string{"GITHUB, INC.", "GITHUB INC %s"}}, dom: 9},
	{payee: payee{name: "State Farm", category: "Expenses:Insurance", account: checking, prices: []int64{13240},
		texts: []string{"STATE FARM RO 27 SFPP", "STATE FARM INS %s"}}, dom: 15},
	{payee: payee{name: "Acme Corp", category: "Income:Sales", account: checking, prices: []int64{324518},
		texts: []string{"ACME CORP DES:PAYMENTS ID:%s", "ACH CREDIT ACME CORP %s"}}, every: 14, first: 4, income: true},
	{payee: payee{name: "Globex", category: "Income:Sales", account: checking, min: 50000, max: 250000,
		texts: []string{"DEPOSIT GLOBEX INC %s", "ACH CREDIT GLOBEX %s"}}, every: 30, first: 11, income: true},
	{payee: payee{name: "Bank Interest", category: "Income:Interest", account: savings, min: 300, max: 1800,
		texts: []string{"INTEREST PAYMENT", "INTEREST PAID"}}, dom: 28, income: true},
}

// payees of written checks.
var checkPayees = []payee{
	{name: "Jane Smith Cleaning", category: "Expenses:Cleaning", prices: []int64{18000, 24000}},
	{name: "Green Thumb Landscaping", category: "Expenses:Repairs", min: 9000, max: 60000},
	{name: "City Water Dept", category: "Expenses:Utilities", min: 4000, max: 14000},
	{name: "Dr. Patel", category: "Expenses:Health", min: 5000, max: 40000},
	{name: "Mike's Plumbing", category: "Expenses:Repairs", min: 15000, max: 90000},
}

// Transfer descriptors: out side, in side; some carry no transfer word.
var (
	toSavings = [][2]string{
		{"ONLINE TRANSFER TO SAV XXXXXX5678 REF #%s", "ONLINE TRANSFER FROM CHK XXXXXX1234 REF #%s"},
		{"TRANSFER TO SAVINGS %s", "TRANSFER FROM CHECKING %s"},
		{"ONLINE BANKING %s", "DEPOSIT %s"},
	}
	fromSavings = [][2]string{
		{"ONLINE TRANSFER TO CHK XXXXXX1234 REF #%s", "ONLINE TRANSFER FROM SAV XXXXXX5678 REF #%s"},
		{"WITHDRAWAL %s", "DEPOSIT %s"},
	}
	cardPayments = [][2]string{
		{"PAYMENT TO CHASE CARD ENDING 9876 %s", "PAYMENT THANK YOU"},
		{"CHASE CREDIT CRD AUTOPAY %s", "AUTOPAY PAYMENT - THANK YOU"},
		{"WEB PMT %s", "ONLINE PAYMENT"},
	}
)
