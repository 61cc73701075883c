namespace ProCo.Web.Components.Shared;

/// <summary>
/// What was typed into a form's field when it is no value of that field ("abc" in a number box): the
/// form keeps and shows the text, and reports <paramref name="Error"/> against the field, instead of
/// putting a default in its place.
/// </summary>
public sealed record TypedText(string Text, string Error);
