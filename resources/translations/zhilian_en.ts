<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>AddDialog</name>
    <message numerus="yes">
        <location filename="../../gui/add_dialog.py" line="237"/>
        <source>Found %n link(s):</source>
        <translation>
            <numerusform>Found %n link:</numerusform>
            <numerusform>Found %n links:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../gui/add_dialog.py" line="321"/>
        <source>%n file(s), %1 in all</source>
        <translation>
            <numerusform>%n file, %1 in all</numerusform>
            <numerusform>%n files, %1 in all</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AddFlow</name>
    <message numerus="yes">
        <location filename="../../gui/add_flow.py" line="72"/>
        <source>Added %n download(s)</source>
        <translation>
            <numerusform>Added %n download</numerusform>
            <numerusform>Added %n downloads</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ClipboardOffer</name>
    <message numerus="yes">
        <location filename="../../gui/clipboard_offer.py" line="69"/>
        <source>(+%n more)</source>
        <translation>
            <numerusform>(+%n more)</numerusform>
            <numerusform>(+%n more)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TaskActions</name>
    <message numerus="yes">
        <location filename="../../gui/actions.py" line="170"/>
        <source>Remove %n download(s) and delete their files from disk?</source>
        <translation>
            <numerusform>Remove %n download and delete its file from disk?</numerusform>
            <numerusform>Remove %n downloads and delete their files from disk?</numerusform>
        </translation>
    </message>
</context>
</TS>
