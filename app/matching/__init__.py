"""Matching: who is the right peer for a referral, and the best assignment of the whole queue.

``engine`` (pure: hard rules, scores and reasons), ``assignment`` (pure: batch assignment),
``osgb`` (pure: latitude/longitude to the National Grid), ``models`` and ``geo`` (postcode
centroids held in the database).
"""
