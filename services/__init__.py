"""The business verbs, grouped by domain; each public function is one transaction.

users/ and groups/ hold the SCIM resources' verbs and their storage, audit/ the change
records and the request log, resources/ what Users and Groups share (listing, serialising,
If-Match), readmodels/ the admin pages' queries. The remaining modules are one domain each
(tokens, admins, custom fields, rule settings) or plumbing (tx, context, actor).
"""
