#!/usr/bin/python3
"""Write an ofxclient configuration for an OFX server through ofxclient's own API.

It performs a real account-information request, so the server must answer ACCTINFORQ.
usage: /usr/bin/python3 ofxclient_setup.py URL INI FID ORG USER PASSWORD
Run with PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring so the password stays in the INI,
and SSL_CERT_FILE=CA.pem so the server's certificate is trusted.

A copy of ../shared/interop/ofxclient_setup.py, so that TestFakebankInterop runs
from any checkout.
"""
import sys
from ofxclient import Institution
from ofxclient.config import OfxConfig

url, path, fid, org, user, password = sys.argv[1:7]
inst = Institution(id=fid, org=org, url=url, username=user, password=password, description=org)
accounts = inst.accounts()
print("accounts:", [(a.number, type(a).__name__) for a in accounts])
cfg = OfxConfig(file_name=path)
for a in accounts:
    cfg.add_account(a)
cfg.save()
