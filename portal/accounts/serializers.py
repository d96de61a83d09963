"""Wire shapes of /auth/register and /auth/login, exactly as in the seed."""

from rest_framework import serializers

from portal.accounts.models import User


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    fName = serializers.CharField(max_length=150)
    lName = serializers.CharField(max_length=150)
    phoneNumber = serializers.RegexField(r"^\+?[0-9][0-9 ()-]{3,30}$", max_length=32)
    country = serializers.CharField(max_length=100)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class LoginSerializer(serializers.Serializer):
    userName = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RegisteredUserSerializer(serializers.ModelSerializer):
    fName = serializers.CharField(source="first_name")
    lName = serializers.CharField(source="last_name")
    _id = serializers.CharField(source="id")

    class Meta:
        model = User
        fields = ["fName", "lName", "email", "_id"]


class RegisterResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    data = serializers.DictField()


class _MeDataSerializer(serializers.Serializer):
    user = RegisteredUserSerializer()


class MeResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    data = _MeDataSerializer()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    message = serializers.CharField()
    errors = serializers.DictField(required=False)
