"""Sign-up and log-in forms of the browser pages."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignUpForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(label="Email", max_length=254)
    phone_number = forms.RegexField(
        label="Phone number", regex=r"^\+?[0-9][0-9 ()-]{3,30}$", max_length=32,
        error_messages={"invalid": "Enter a phone number of digits, spaces, dashes or brackets."},
    )
    country = forms.CharField(label="Country", max_length=100)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, strip=False)


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True}))
