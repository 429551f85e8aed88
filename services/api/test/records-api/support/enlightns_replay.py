"""The calls enlightns-cli (enscli/rest/services.py) makes, with python3-requests as it does, against BASE.

Only the base URL differs from the real client (there it is one constant, ENLIGHTNS_API_URL). Each step
applies the client's own rule: `result.json() if result.ok else ''`, then what `setup --records` and
`update` read from it. Prints one JSON object with what the client would have concluded.
"""
import json
import sys

import requests

base, email, password, hostname, ip = sys.argv[1:6]
out = {}

# authenticate(): POST /api-token-auth/ with a JSON body and Content-type application/json
r = requests.post(base + '/api-token-auth/', data=json.dumps({'email': email, 'password': password}),
                  headers={'Content-type': 'application/json'})
result = r.json() if r.ok else ''
token = result['token'] if 'token' in result else ''
out['authenticated'] = bool(token)
auth = {'Authorization': token}

# check_records(record): GET /user/record/<hostname>/, then result[0] must carry 'name'
r = requests.get(base + '/user/record/{0}/'.format(hostname), headers=auth)
result = r.json() if r.ok else ''
try:
    record = result[0]
    is_owner = bool(result and 'name' in result[0])
except Exception:
    record = None
    is_owner = False
out['check_status'] = r.status_code
out['is_owner'] = is_owner
if is_owner:
    # setup writes '{<id>}<name>,' and update() PUTs the new address as a form field
    out['config'] = '{' + str(record['id']) + '}' + record['name'] + ','
    r = requests.put(base + '/user/record/{pk}/'.format(pk=record['id']), data={'content': ip}, headers=auth)
    updated = r.json() if r.ok else False
    out['updated'] = (updated['name'] + '\t' + updated['content']) if updated else None

# list_records(): GET /user/record/?type=A,AAAA
r = requests.get(base + '/user/record/?type=A,AAAA', headers=auth)
result = r.json() if r.ok else ''
out['listed'] = [rec['name'] for rec in result] if result else []
print(json.dumps(out))
