"""
Course-team authoring of programmes: drafts, publishing, retiring, review and learner reports.

Every change to a programme goes through ``drafts`` under a row lock on the ``Program`` and
checks the revision the author read (optimistic concurrency). Permissions on orgs are the
caller's (the REST layer); the one check that depends on the content — adding a course needs
Studio write access to it — is made here, so no entry point can skip it.
"""
