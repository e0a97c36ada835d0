#!/usr/bin/python3
"""Print the transactions python3-ofxparse reads from an OFX file, one a line:
ACCTID, FITID, date (YYYY-MM-DD), amount, payee (NAME), tab-separated.

ofxparse is what ofxclient's downloads are fed to (ledger-autosync among
others), so this is the view an ofxclient user gets of a statement.
usage: /usr/bin/python3 ofxparse_txns.py FILE
"""
import sys

from ofxparse import OfxParser

with open(sys.argv[1], "rb") as f:
    ofx = OfxParser.parse(f)
for acct in ofx.accounts:
    for t in acct.statement.transactions:
        print("\t".join([acct.account_id, t.id, t.date.strftime("%Y-%m-%d"), str(t.amount), t.payee]))
