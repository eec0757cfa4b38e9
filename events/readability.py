"""A lesson's reading level, as a Flesch–Kincaid grade, for editors to aim at their class."""

import re
from dataclasses import dataclass

WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?=[\s\"”’)]|$)")
VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class ReadingLevel:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float:
        """Flesch–Kincaid grade level: 0.39 × words per sentence + 11.8 × syllables per word − 15.59."""
        if not self.words:
            return 0.0
        grade = 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59
        return round(max(grade, 0.0), 1)

    @property
    def description(self) -> str:
        if not self.words:
            return "No text yet."
        age = round(self.grade) + 5
        return (
            f"Grade {self.grade:.1f} (Flesch–Kincaid), for readers of about {age}–{age + 1}: "
            f"{self.words} words in {self.sentences} sentences, "
            f"{self.words / self.sentences:.0f} words a sentence on average."
        )


def count_syllables(word: str) -> int:
    """An estimate that is right for most English words, which is all a grade level needs."""
    word = word.lower().replace("’", "'").split("'")[0]
    count = len(VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # a silent final e: "made"
    elif word.endswith("ed") and not word.endswith(("ted", "ded")) and count > 1:
        count -= 1  # a silent -ed: "recalled"
    return max(count, 1)


def reading_level(text: str) -> ReadingLevel:
    words = WORD.findall(text)
    sentences = max(len(SENTENCE_END.findall(text)), 1) if words else 0
    return ReadingLevel(words=len(words), sentences=sentences, syllables=sum(count_syllables(word) for word in words))
