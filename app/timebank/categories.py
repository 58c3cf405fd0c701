"""What people exchange. Codes are stable (the API and reports use them); names are plain English."""

CATEGORIES: dict[str, str] = {
    "cooking": "Cooking and meals",
    "shopping": "Shopping and errands",
    "gardening": "Gardening",
    "diy": "DIY and small repairs",
    "cleaning": "Cleaning and tidying",
    "transport": "Lifts and getting about",
    "companionship": "Company and a chat",
    "befriending": "Befriending and phone calls",
    "peer_support": "Peer support",
    "support_planning": "Help with a support plan",
    "paperwork": "Forms, letters and paperwork",
    "technology": "Computers, phones and the internet",
    "learning": "Teaching and learning a skill",
    "arts_crafts": "Arts and crafts",
    "childcare": "Looking after children",
    "pet_care": "Looking after pets",
    "wellbeing": "Exercise and wellbeing",
    "admin": "Helping the organisation run",
    "events": "Events and community activities",
    "other": "Something else",
}


def category_name(code: str) -> str:
    return CATEGORIES.get(code, code)
