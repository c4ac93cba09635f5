"""Microsoft Entra attribute-mapping expressions: parse, print and evaluate them.

Pure code, like `scim/`: it imports neither Flask nor our models or services. The language
is the one Microsoft Learn documents in "Reference for writing expressions for attribute
mappings in Microsoft Entra ID"; docs/mappings.md lists what is supported and the bounds.
"""
