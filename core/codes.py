import secrets

# Crockford-style alphabet: no I, L, O, U, so codes read aloud or typed from paper are unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def verification_code_new(groups: int = 5) -> str:
    """An unguessable, human-typeable code: 5 groups of 4 characters = 100 random bits, e.g. 7K2M-...-Q9ZD."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(groups * 4))
    return "-".join(chars[i:i + 4] for i in range(0, len(chars), 4))


def verification_code_normalise(raw: str) -> str:
    """Accept what people type: lower case, spaces, missing dashes, O for 0, I/L for 1."""
    cleaned = raw.upper().replace("-", "").replace(" ", "").replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(cleaned[i:i + 4] for i in range(0, len(cleaned), 4))
