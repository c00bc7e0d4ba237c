"""A $BROWSER for portdoctor's --login tests: what a person does in a
browser, over plain HTTP.

    browser_follows.py approve|deny|forge URL

GETs URL, follows redirects (urllib does), and answers the consent page of
sdk_auth_server.py --grant; the authorization server then redirects to
portdoctor's loopback URI, which this follows too. `forge` approves, then
brings the redirect to portdoctor with another state, as a page trying to
slip its own code into someone's sign-in would.
"""

import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def main():
    answer, url = sys.argv[1], sys.argv[2]
    page = urllib.request.urlopen(url, timeout=10)
    body = page.read().decode()
    request = re.search(r'name="request" value="([^"]+)"', body)
    if request is None:
        sys.exit(f"no consent form at {page.geturl()}: {body[:200]}")
    approve = "deny" if answer == "deny" else "approve"
    data = urllib.parse.urlencode({"request": request.group(1), "answer": approve}).encode()
    consent = urllib.parse.urljoin(page.geturl(), "/consent")
    if answer != "forge":
        urllib.request.urlopen(consent, data=data, timeout=10).read()
        return
    try:
        urllib.request.build_opener(NoRedirect).open(consent, data=data, timeout=10)
        sys.exit("the consent page did not redirect")
    except urllib.error.HTTPError as redirect:
        location = urllib.parse.urlsplit(redirect.headers["Location"])
    query = dict(urllib.parse.parse_qsl(location.query))
    query["state"] = "forged"
    forged = location._replace(query=urllib.parse.urlencode(query))
    urllib.request.urlopen(urllib.parse.urlunsplit(forged), timeout=10).read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


if __name__ == "__main__":
    main()
