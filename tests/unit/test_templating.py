from app.templating import format_minutes


def test_format_minutes_reads_as_english():
    assert format_minutes(90) == "1 hour 30 minutes"
    assert format_minutes(60) == "1 hour"
    assert format_minutes(0) == "0 minutes"
    assert format_minutes(-30) == "minus 30 minutes"
    assert format_minutes(6000) == "100 hours"
    assert format_minutes(None) == "no limit"
