"""Releasing: git, the review interface and its GitHub/GitLab clients (chosen in reviews.py), HTTP, tag
reading, release notes, the promote and rollback cores, status. Imports spec/, render/ and files/.
"""
