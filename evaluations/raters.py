"""Rater addresses as mailboxes. Pure functions, no ORM.

Two spellings of one mailbox must count as one rater, or a sponsor could invite themself twice
(`admin+p1@x`, `Admin+P2@x`) and fill an anonymous group. The rule (documented in the README):

* the whole address is compared in lower case (local parts are case-insensitive at every provider we know);
* everything from the first "+" of the local part is dropped, for every domain: most providers deliver
  `name+tag@` to `name@`, and two different people whose addresses differ only by a "+tag" do not occur in practice;
* for Gmail (`gmail.com`, `googlemail.com`, which are one service) dots in the local part are dropped and the
  domain becomes `gmail.com`: Gmail ignores dots. Other providers treat dots as significant, so they stay.
"""

DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def email_normalise(address: str) -> str:
    address = (address or "").strip().lower()
    local, sep, domain = address.rpartition("@")
    if not sep:
        return address
    local = local.split("+", 1)[0]
    domain = domain.rstrip(".")
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"
