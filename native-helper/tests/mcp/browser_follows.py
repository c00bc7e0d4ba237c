"""A $BROWSER for portdoctor's --login tests: what a person does in a
browser, over plain HTTP.

    browser_follows.py approve|deny URL

GETs URL, follows redirects (urllib does), and answers the consent page of
sdk_auth_server.py --grant; the authorization server then redirects to
portdoctor's loopback URI, which this follows too.
"""

import re
import sys
import urllib.parse
import urllib.request


def main():
    answer, url = sys.argv[1], sys.argv[2]
    page = urllib.request.urlopen(url, timeout=10)
    body = page.read().decode()
    request = re.search(r'name="request" value="([^"]+)"', body)
    if request is None:
        sys.exit(f"no consent form at {page.geturl()}: {body[:200]}")
    data = urllib.parse.urlencode({"request": request.group(1), "answer": answer}).encode()
    urllib.request.urlopen(urllib.parse.urljoin(page.geturl(), "/consent"), data=data, timeout=10).read()


if __name__ == "__main__":
    main()
