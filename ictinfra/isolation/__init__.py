"""Internet isolation (三層の対策): the policy as code, generators, and the verifier.

``policy`` holds the model (alpha by default, beta-prime as the alternative profile) and checks the
inventory's flows; ``generate`` renders nftables rulesets and device ACLs; ``parse_nft``
and ``parse_acl`` read rendered text back; ``verify`` proves the policy on what was read.
"""
